"""HR's side of what welfare is worth, at a desk: performance bonuses offered for each
employee to choose (cash or welfare, until a deadline), who chose what and the totals;
and what the company's estimates assume (contribution rate, surcharges, income band)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from wecare_common.contract import benefits
from werkzeug.wrappers import Response

from web import i18n, refusals
from web.client import ApiError
from web.pages.hr import HR, open_plans
from web.pages.worth import BANDS, OUTCOMES
from web.routing import Page, page
from web.views import N_, Errors

OFFER_FIELDS = ("plan_id", "name", "agreement", "amount", "deadline")
OFFER_ALIASES = {"amount_cents": "amount", "employee_ids": "who", "all": "who"}
STATES = {"open": N_("Open: employees are choosing"), "settling": N_("Being paid"),
          "settled": N_("Paid")}


def _bps(text: str) -> int | None:
    """A percentage as typed ("9,19", "9.19", "2") → basis points (two decimals, read
    as euros are); None when it is not one."""
    return i18n.parse_amount(text.replace("%", ""))


class HrBonusPages:
    # -- bonus offers -------------------------------------------------------------------------
    @page("GET", "/hr/bonus-offers", roles=HR)
    def hr_bonus_offers(self, page: Page) -> Response:
        offers = page.api("GET", f"/companies/{page.company_id}/bonus-offers")["items"]
        return page.render("hr/bonus_offers.html", offers=offers, STATES=STATES)

    def _offer_form(self, page: Page, form: dict[str, str], errors: Errors | None = None,
                    status: int = 200, key: str | None = None) -> Response:
        plans = open_plans(page, since=date.today() + timedelta(days=1))
        if not form.get("plan_id") and plans:
            form["plan_id"] = plans[0]["id"]
        years = sorted({p["fiscal_year"] for p in plans}) or [date.today().year]
        rules = {y: page.api_anonymous("GET", "/fiscal-rules", params={"year": y})
                 for y in years}
        return page.render("hr/bonus_offer_new.html", status=status, form=form, plans=plans,
                           rules=rules, errors=errors, key=key or uuid.uuid4().hex)

    @page("GET", "/hr/bonus-offers/new", roles=HR)
    def hr_bonus_offer_form(self, page: Page) -> Response:
        deadline = date.today() + timedelta(days=14)
        return self._offer_form(page, {"plan_id": page.request.args.get("plan_id", ""),
                                       "name": "", "agreement": "", "amount": "",
                                       "deadline": deadline.isoformat()})

    @page("POST", "/hr/bonus-offers/new", roles=HR)
    def hr_offer_bonus(self, page: Page) -> Response:
        _ = page.lang.gettext
        form = {name: page.form.get(name, "").strip() for name in OFFER_FIELDS}
        key = page.form.get("idempotency_key", "")
        errors = Errors(page.lang)
        cents = i18n.parse_amount(form["amount"])
        if not form["plan_id"]:
            errors.add_text("plan_id", _("Choose the plan the welfare part is credited to."))
        if not form["name"]:
            errors.add_text("name", _("Name the bonus, like \u201cPremio di risultato 2025\u201d."))
        if refusals.refused_by_contract(benefits.BonusOfferRequest, "agreement",
                                        form["agreement"]):
            errors.add_text("agreement", _("Name the company or territorial agreement the "
                                           "bonus comes from."))
        if cents is None or cents <= 0:
            errors.add_text("amount", _("Enter the bonus each employee receives, like "
                                        "1.000,00."))
        try:
            date.fromisoformat(form["deadline"])
        except ValueError:
            errors.add_text("deadline", _("Enter the last day to choose, like 31/03/2026."))
        if not key:
            errors.message = _("Reload the page and try again.")
        if not errors:
            try:
                offer = page.api("POST", f"/companies/{page.company_id}/bonus-offers",
                                 key=key, json={
                                     "plan_id": form["plan_id"], "name": form["name"],
                                     "agreement": form["agreement"], "amount_cents": cents,
                                     "deadline": form["deadline"], "all": True})
            except ApiError as exc:
                if exc.status not in (400, 404, 409, 422):
                    raise
                errors = refusals.errors(page.lang, exc, aliases=OFFER_ALIASES)
                key = None  # the API answered: a new attempt is a new request
            else:
                return page.redirect(f"/hr/bonus-offers/{offer['id']}?new=1")
        return self._offer_form(page, form, errors, status=400, key=key)

    @page("GET", "/hr/bonus-offers/<offer_id>", roles=HR)
    def hr_bonus_offer(self, page: Page, offer_id: str) -> Response:
        offer = page.api("GET", f"/companies/{page.company_id}/bonus-offers/{offer_id}")
        return page.render("hr/bonus_offer.html", offer=offer, STATES=STATES,
                           OUTCOMES=OUTCOMES, new=page.request.args.get("new") == "1")

    # -- what the estimates assume ----------------------------------------------------------
    @page("GET", "/hr/estimates", roles=HR)
    def hr_estimates(self, page: Page) -> Response:
        settings = page.api("GET", f"/companies/{page.company_id}/estimate-settings")
        return self._estimates_form(page, settings, _typed(page.lang, settings),
                                    saved=page.request.args.get("saved") == "1")

    def _estimates_form(self, page: Page, settings: dict[str, Any], form: dict[str, str],
                        errors: Errors | None = None, status: int = 200,
                        saved: bool = False) -> Response:
        defaults = page.api_anonymous("GET", "/fiscal-rules",
                                      params={"year": date.today().year})["estimates"]
        return page.render("hr/estimates.html", status=status, settings=settings, form=form,
                           errors=errors, saved=saved, BANDS=BANDS, defaults=defaults)

    @page("POST", "/hr/estimates", roles=HR)
    def hr_save_estimates(self, page: Page) -> Response:
        _ = page.lang.gettext
        form = {name: page.form.get(name, "").strip()
                for name in ("inps_employee", "surcharges", "band")}
        errors = Errors(page.lang)
        body: dict[str, Any] = {}
        for name, field, top in (("inps_employee", "inps_employee_bps", 2_000),
                                 ("surcharges", "surcharges_bps", 500)):
            value = _bps(form[name]) if form[name] else None
            if form[name] and (value is None or value > top):
                errors.add_text(name, _("Enter a percentage from 0 to %(top)s, like 9,19, or "
                                        "leave it empty for the default.", top=top // 100))
            body[field] = value
        body["band"] = form["band"] if form["band"] in BANDS else None
        if not errors:
            try:
                page.api("PUT", f"/companies/{page.company_id}/estimate-settings", json=body)
            except ApiError as exc:
                if exc.status != 400:
                    raise
                errors = refusals.errors(page.lang, exc, aliases={
                    "inps_employee_bps": "inps_employee", "surcharges_bps": "surcharges"})
            else:
                return page.redirect("/hr/estimates?saved=1")
        settings = page.api("GET", f"/companies/{page.company_id}/estimate-settings")
        return self._estimates_form(page, settings, form, errors, status=400)


def _typed(lang: i18n.Lang, settings: dict[str, Any]) -> dict[str, str]:
    """The company's own figures as a form shows them (empty: the default)."""
    return {"inps_employee": "" if settings["inps_employee_default"]
            else lang.amount(settings["inps_employee_bps"]),
            "surcharges": "" if settings["surcharges_default"]
            else lang.amount(settings["surcharges_bps"]),
            "band": "" if settings["band_default"] else settings["band"]}
