"""What welfare is worth, on the employee's phone: how the figures are computed, the
income they may give for them (theirs alone), their year in salary terms (printable),
and a performance bonus offered to them — cash or welfare, compared, chosen until the
deadline. Every figure is an estimate and says so (docs/fiscal-rules.md#what-welfare-is-worth)."""

from __future__ import annotations

from datetime import date
from typing import Any

from werkzeug.wrappers import Response

from web import i18n, refusals
from web.client import ApiError
from web.routing import Page, page
from web.views import N_, Errors

EMPLOYEE = ("employee",)
BANDS = {"up_to_28k": N_("up to 28.000 € a year"), "28k_50k": N_("28.000 to 50.000 € a year"),
         "over_50k": N_("over 50.000 € a year")}
TREATMENTS = {"exempt": N_("Tax-free, without a yearly limit"),
              "fringe": N_("Fringe benefit: tax-free within your yearly limit"),
              "taxable": N_("Past your fringe-benefit limit: taxable"),
              "limited": N_("Tax-free up to a yearly limit")}
OUTCOMES = {"as_chosen": N_("As you chose"), "no_choice": N_("No choice: all in cash"),
            "limited": N_("Part of your choice went to cash: the year's limit left less room"),
            "left": N_("You left the company: all in cash"),
            "not_eligible": N_("Income over the limit: all in cash")}
PERCENT_STEP = 5


def _percent(text: str | None) -> int | None:
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if 0 <= value <= 100 else None


def welfare_asked(form: Any, amount_cents: int, top_cents: int) -> tuple[int | None, str | None]:
    """The welfare part a person asked for: the exact amount in euros when they typed one,
    else the slider's share of the bonus (what works without JavaScript: both are plain
    fields of one form). Returns (cents, what was wrong)."""
    typed = (form.get("amount") or "").strip()
    if typed:
        cents = i18n.parse_amount(typed)
        if cents is None:
            return None, "amount"
        return cents, None
    percent = _percent(form.get("percent"))
    if percent is None:
        return (None, None) if form.get("percent") in (None, "") else (None, "percent")
    return min(amount_cents * percent // 100, top_cents), None


class WorthPages:
    # -- how it is computed -------------------------------------------------------------
    @page("GET", "/worth/how", roles=EMPLOYEE)
    def worth_how(self, page: Page) -> Response:
        year = date.today().year
        worth, rules, income = page.api_all(
            ("GET", "/me/worth", {"params": {"amount_cents": 100_000, "year": year}}),
            ("GET", "/fiscal-rules", {"params": {"year": year}}),
            ("GET", "/me/income-estimate"))
        return page.render("worth/how.html", worth=worth, rules=rules, year=year,
                           income=income["income_cents"], BANDS=BANDS)

    # -- the person's own income ------------------------------------------------------------
    @page("GET", "/worth/income", roles=EMPLOYEE)
    def worth_income(self, page: Page) -> Response:
        income = page.api("GET", "/me/income-estimate")["income_cents"]
        return page.render("worth/income.html", value=page.lang.amount(income) if income
                           else "", income=income, saved=page.request.args.get("saved"))

    @page("POST", "/worth/income", roles=EMPLOYEE)
    def save_worth_income(self, page: Page) -> Response:
        _ = page.lang.gettext
        typed = page.form.get("income", "").strip()
        forget = page.form.get("forget") == "1"
        cents = None if forget else i18n.parse_amount(typed)
        errors = Errors(page.lang)
        if not forget and (cents is None or cents < 100):
            errors.add_text("income", _("Enter your gross yearly income in euros, like 32.000, or "
                                   "leave it to your company's band."))
        if not errors:
            try:
                page.api("PUT", "/me/income-estimate", json={"income_cents": cents})
            except ApiError as exc:
                if exc.status != 400:
                    raise
                errors = refusals.errors(page.lang, exc, aliases={"income_cents": "income"})
            else:
                return page.redirect(f"/worth/income?saved={'forgotten' if forget else '1'}")
        current = page.api("GET", "/me/income-estimate")["income_cents"]
        return page.render("worth/income.html", status=400, value=typed, income=current,
                           errors=errors, saved=None)

    # -- the year, printable ------------------------------------------------------------------
    @page("GET", "/worth/<int:year>", roles=EMPLOYEE)
    def worth_year(self, page: Page, year: int) -> Response:
        if not 2000 <= year <= 2100:
            raise ApiError(404, "not_found", "no such year")
        summary = page.api("GET", "/me/worth/summary", params={"year": year})
        this_year = date.today().year
        return page.render("worth/year.html", summary=summary, year=year, BANDS=BANDS,
                           TREATMENTS=TREATMENTS,
                           years=[y for y in range(this_year, this_year - 4, -1)])

    # -- a performance bonus offered ----------------------------------------------------------
    @page("GET", "/bonus", roles=EMPLOYEE)
    def bonus_offers(self, page: Page) -> Response:
        offers = page.api("GET", "/me/bonus-offers")["items"]
        return page.render("worth/bonus_list.html", offers=offers, OUTCOMES=OUTCOMES)

    @page("GET", "/bonus/<offer_id>", roles=EMPLOYEE)
    def bonus_offer(self, page: Page, offer_id: str) -> Response:
        """The offer compared at the person's choice, or at the part they ask about
        (the form's "Compare" sends it here; with htmx only the comparison is swapped)."""
        offer = page.api("GET", f"/me/bonus-offers/{offer_id}")
        asked, wrong = welfare_asked(page.request.args, offer["amount_cents"],
                                     offer["max_welfare_cents"])
        errors = Errors(page.lang)
        if wrong:
            errors.add_text(wrong, _field_help(page.lang, wrong))
        elif asked is not None and offer["open"]:
            offer = page.api("GET", f"/me/bonus-offers/{offer_id}",
                             params={"welfare_cents": asked})
        return self._bonus_page(page, offer, errors, status=400 if wrong else 200,
                                typed=page.request.args.get("amount", "").strip(),
                                saved=page.request.args.get("saved") == "1")

    @page("POST", "/bonus/<offer_id>", roles=EMPLOYEE)
    def choose_bonus(self, page: Page, offer_id: str) -> Response:
        offer = page.api("GET", f"/me/bonus-offers/{offer_id}")
        asked, wrong = welfare_asked(page.form, offer["amount_cents"],
                                     offer["max_welfare_cents"])
        errors = Errors(page.lang)
        if wrong or asked is None:
            errors.add_text(wrong or "percent", _field_help(page.lang, wrong or "percent"))
        else:
            try:
                page.api("PUT", f"/me/bonus-offers/{offer_id}/choice",
                         json={"welfare_cents": asked})
            except ApiError as exc:
                if exc.status not in (400, 404, 409, 422):
                    raise
                errors = refusals.errors(page.lang, exc, aliases={"welfare_cents": "amount"},
                                         summary=True)
                offer = page.api("GET", f"/me/bonus-offers/{offer_id}")
            else:
                return page.redirect(f"/bonus/{offer_id}?saved=1#choice")
        return self._bonus_page(page, offer, errors, status=400 if errors.fields else 409,
                                typed=page.form.get("amount", "").strip(), saved=False)

    def _bonus_page(self, page: Page, offer: dict[str, Any], errors: Errors, status: int,
                    typed: str, saved: bool) -> Response:
        shown = offer["comparison"]["welfare_cents"]
        share = shown * 100 // offer["amount_cents"] if offer["amount_cents"] else 0
        template = "worth/_bonus_comparison.html" if page.htmx else "worth/bonus.html"
        return page.render(template, status=status, offer=offer, errors=errors,
                           share=share, step=PERCENT_STEP, saved=saved, BANDS=BANDS,
                           OUTCOMES=OUTCOMES, typed=typed[:20],
                           top_percent=offer["max_welfare_cents"] * 100 // offer["amount_cents"]
                           if offer["amount_cents"] else 0)


def _field_help(lang: i18n.Lang, name: str) -> str:
    if name == "amount":
        return lang.gettext("Enter the part to take as welfare in euros, like 600,00, or use "
                            "the slider.")
    return lang.gettext("Choose on the slider how much of the bonus to take as welfare, "
                        "from 0 to 100%.")
