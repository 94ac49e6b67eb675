"""The HR manager's console, at a desk: is everyone covered and what is left
(the dashboard), the people (table, add, import with a preview, departures,
invitations), money in (top-ups), plans, grants, reimbursements, the payroll
report. Every page is a client of /api/v1 as the signed-in HR manager."""

from __future__ import annotations

import base64
import binascii
import gzip
import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape
from wecare_common.spreadsheet import write_csv
from werkzeug.wrappers import Response

from web import i18n, refusals, views
from web.client import ApiError
from web.routing import Page, page
from web.views import N_, Errors

HR = ("hr",)
PAGE_SIZE = 25
# the import file's columns, as the template HR downloads names them
IMPORT_COLUMNS = ("codice_fiscale", "nome", "cognome", "email", "gruppo", "fascia_reddito",
                  "figli_a_carico", "data_assunzione")
COLLEAGUE_FIELDS = ("first_name", "last_name", "email")
EMPLOYEE_FIELDS = ("first_name", "last_name", "email", "fiscal_code", "dependent_children",
                   "group", "hire_date", "income_band", "language")
SORTS = {"name": N_("name"), "email": N_("email"), "fiscal_code": N_("tax code"),
         "group": N_("group"), "status": N_("status")}
GRANT_SOURCES = ("company", "performance_bonus")
INCOME_BANDS = {"up_to_80k": N_("Up to 80,000 €"), "over_80k": N_("Over 80,000 €")}
LEFTOVER = {"return_to_fund": N_("Returns to the company fund"),
            "roll_over": N_("Rolls over into the next plan")}
TOPUP_STATES = {"pending": N_("Waiting for the transfer"), "succeeded": N_("Received"),
                "failed": N_("Failed")}
CARD_STATES = {"pending": N_("Waiting for the payment"), "succeeded": N_("Received"),
               "failed": N_("Payment failed")}
NO_CARD: dict[str, Any] = {"bank_transfer": True, "card_available": False,
                           "stripe_publishable_key": None, "card_methods": []}
REIMBURSEMENT_STATES = {"requested": N_("Waiting"), "approved": N_("Approved"),
                        "rejected": N_("Refused")}
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"),
          N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec"))
MAX_CARRIED_CSV = 450_000  # a form field's limit is 500 kB: bigger files are chosen again
# What a refusal says on HR's pages, where HR's own words fit better than the
# default's (web.refusals); the placeholders are the code's params.
HR_TEXTS = {
    "repeats_row": N_("the same as line %(row)s"),
    "csv_unknown_columns": N_("Columns this import does not know: %(columns)s."),
    "csv_empty": N_("The file is empty."),
    "csv_no_rows": N_("The file has a header but no rows."),
    "csv_too_many_rows": N_("At most %(max_rows)s rows a file."),
    "already_enrolled": N_("already enrolled"),
    "email_taken": N_("already has an account"),
    "end_before_today": N_("The plan cannot end before today."),
    "ends_before_start": N_("The plan cannot end before it starts."),
    "end_too_soon": N_("Not before %(earliest)s: credit was granted on this plan, and "
                       "employees are told %(notice_days)s days before it ends."),
    "categories_only_added": N_("Categories can be added, not removed: %(kept)s stay in the "
                                "plan."),
    "budget_only_before_first_grant": N_("A budget can be set only before the plan's first "
                                         "grant: credit was already granted without one."),
    "budget_below_granted": N_("Not below %(granted_cents)s: an employee was already granted "
                               "that much on this plan."),
    "plan_ended": N_("This plan ended on %(valid_until)s: it can no longer be changed."),
}


def today() -> date:
    return date.today()


def _int(text: str | None, default: int | None = None) -> int | None:
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        return default


# -- charts: SVG drawn on the server, the same figures in a table beside them --------------
def bar_chart(lang: i18n.Lang, chart_id: str, title: str, bars: list[tuple[str, int]],
              vertical: bool = False) -> Markup:
    """A bar chart as inline SVG (no script): each bar labelled with its figure, so
    nothing is told by colour or length alone; the page gives the table too."""
    top = max([v for _, v in bars] + [1])
    label, money = escape, lang.money
    parts = [f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t" '
             f'focusable="false" xmlns="http://www.w3.org/2000/svg" ']
    if vertical:
        width, height, base, left = 720, 260, 210, 10
        step = (width - left) / max(len(bars), 1)
        parts.append(f'viewBox="0 0 {width} {height}">')
        parts.append(f'<title id="{chart_id}-t">{label(title)}</title>')
        parts.append(f'<line class="chart__axis" x1="{left}" y1="{base}" x2="{width}" '
                     f'y2="{base}"/>')
        for i, (name, value) in enumerate(bars):
            h = round(170 * value / top) if value else 0
            x = left + i * step + step * 0.15
            w = step * 0.7
            parts.append(f'<rect class="chart__bar" x="{x:.1f}" y="{base - h}" '
                         f'width="{w:.1f}" height="{max(h, 0)}"/>')
            if value:
                parts.append(f'<text class="chart__value" x="{x + w / 2:.1f}" '
                             f'y="{base - h - 6}" text-anchor="middle">'
                             f'{label(_short_money(lang, value))}</text>')
            parts.append(f'<text class="chart__label" x="{x + w / 2:.1f}" y="{base + 20}" '
                         f'text-anchor="middle">{label(name)}</text>')
    else:
        row, left, width = 34, 230, 720
        height = row * max(len(bars), 1) + 8
        parts.append(f'viewBox="0 0 {width} {height}">')
        parts.append(f'<title id="{chart_id}-t">{label(title)}</title>')
        for i, (name, value) in enumerate(bars):
            y = 4 + i * row
            w = round(330 * value / top)
            parts.append(f'<text class="chart__label" x="{left - 10}" y="{y + 21}" '
                         f'text-anchor="end">{label(name)}</text>')
            parts.append(f'<rect class="chart__bar" x="{left}" y="{y + 5}" width="{max(w, 1)}" '
                         f'height="{row - 12}"/>')
            parts.append(f'<text class="chart__value" x="{left + w + 8}" y="{y + 21}">'
                         f'{label(money(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(str(p) for p in parts))


def _short_money(lang: i18n.Lang, cents: int) -> str:
    """A bar's label: whole euros (the table has the cents)."""
    return lang.money(cents - cents % 100).replace(",00", "").replace(".00", "")


# -- the CSV carried from the preview to the import, without any server-side state --------
def pack_csv(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode("utf-8"), 6, mtime=0)).decode()


def unpack_csv(packed: str) -> str | None:
    try:
        return gzip.decompress(base64.b64decode(packed, validate=True)).decode("utf-8")
    except (binascii.Error, OSError, EOFError, UnicodeDecodeError, ValueError):
        return None


def _request_topup(page: Page, field: str, method: str
                   ) -> tuple[dict[str, Any] | None, Errors, str]:
    """A top-up form (bank transfer or card) sent to the API with the key rendered
    with the form: (the top-up, or None with the errors beside `field`), and what
    was typed."""
    _ = page.lang.gettext
    typed = page.form.get(field, "").strip()
    key = page.form.get("idempotency_key", "")
    cents = i18n.parse_amount(typed)
    errors = Errors(page.lang)
    if cents is None or cents <= 0:
        errors.add(field, _("Enter an amount in euros, like 5.000,00."))
    elif not key:
        errors.message = _("Reload the page and try again.")
    if errors:
        return None, errors, typed
    try:
        topup = page.api("POST", f"/companies/{page.company_id}/topups", key=key,
                         json={"amount_cents": cents, "method": method})
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        return None, _errors(page.lang, exc, {"amount_cents": field, "method": field}), typed
    return topup, errors, typed


class HrPages:
    # -- the dashboard ------------------------------------------------------------------
    @page("GET", "/hr", roles=HR)
    def hr_dashboard(self, page: Page) -> Response:
        _ = page.lang.gettext
        year = _int(page.request.args.get("year"), today().year) or today().year
        year = min(max(year, 2000), 2100)
        cid = page.company_id
        figures, company = page.api_all(
            ("GET", f"/companies/{cid}/dashboard", {"params": {"year": year}}),
            ("GET", f"/companies/{cid}"))
        categories = [(views.category_name(page.lang, c["category"]), c["spent_cents"])
                      for c in figures["by_category"]]
        translate = page.lang.gettext  # the month names are catalogued with N_ above
        months = [(translate(MONTHS[m["month"] - 1]), m["spent_cents"])
                  for m in figures["by_month"]]
        return page.render(
            "hr/dashboard.html", figures=figures, company=company, year=year,
            this_year=today().year, months=MONTHS,
            category_chart=bar_chart(page.lang, "by-category", _(
                "Spending by category in %(year)s (the figures are in the table below)",
                year=year), categories) if categories else None,
            month_chart=bar_chart(page.lang, "by-month", _(
                "Spending by month in %(year)s (the figures are in the table below)",
                year=year), months, vertical=True))

    # -- employees ----------------------------------------------------------------------
    @page("GET", "/hr/employees", roles=HR)
    def hr_employees(self, page: Page) -> Response:
        args = page.request.args
        query: dict[str, Any] = {"q": args.get("q", "").strip()[:100] or None,
                 "sort": args.get("sort") if args.get("sort") in SORTS else "name",
                 "order": "desc" if args.get("order") == "desc" else "asc",
                 "status": args.get("status") if args.get("status") in ("active", "left")
                 else None,
                 "page": max(_int(args.get("page"), 1) or 1, 1)}
        table = page.api("GET", f"/companies/{page.company_id}/employees",
                         params={**query, "limit": PAGE_SIZE})
        if table["items"] == [] and query["page"] > 1 and table["total"]:
            query["page"] = table["pages"]
            table = page.api("GET", f"/companies/{page.company_id}/employees",
                             params={**query, "limit": PAGE_SIZE})
        template = "hr/_employee_table.html" if page.htmx else "hr/employees.html"
        return page.render(template, table=table, query=query, link=_table_link(query),
                           sort_names=SORTS,
                           done=args.get("done"), count=_int(args.get("n")),
                           who=args.get("who", "")[:200])

    @page("GET", "/hr/employees/new", roles=HR)
    def hr_new_employee(self, page: Page) -> Response:
        form = dict.fromkeys(EMPLOYEE_FIELDS, "")
        return page.render("hr/employee_new.html", form={**form, "language": page.lang.code})

    @page("POST", "/hr/employees/new", roles=HR)
    def hr_add_employee(self, page: Page) -> Response:
        _ = page.lang.gettext
        form = {k: page.form.get(k, "").strip() for k in EMPLOYEE_FIELDS}
        children = [c.upper() for c in re.split(r"[\s,;]+", form["dependent_children"]) if c]
        errors = Errors(page.lang)
        if form["income_band"] not in ("", *INCOME_BANDS):
            errors.add("income_band", _("Choose one of the options."))
        if not errors:
            try:
                page.api("POST", f"/companies/{page.company_id}/employees", json={
                    "first_name": form["first_name"], "last_name": form["last_name"],
                    "email": form["email"], "fiscal_code": form["fiscal_code"],
                    "dependent_children": children, "group": form["group"] or None,
                    "hire_date": form["hire_date"] or None,
                    "income_band": form["income_band"] or None,
                    "language": form["language"] if form["language"] in ("it", "en")
                    else "it"})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = _errors(page.lang, exc)
            else:
                who = f"{form['first_name']} {form['last_name']}"
                return page.redirect("/hr/employees?" + urlencode(
                    {"done": "added", "who": who, "q": form["fiscal_code"].upper()}))
        return page.render("hr/employee_new.html", status=400, errors=errors, form=form)

    @page("GET", "/hr/employees/<eid>", roles=HR)
    def hr_employee(self, page: Page, eid: str) -> Response:
        return self._employee_page(page, eid)

    def _employee_page(self, page: Page, eid: str, errors: Errors | None = None,
                       status: int = 200, left_on: str = "") -> Response:
        found = page.api("GET", f"/companies/{page.company_id}/employees",
                         params={"ids": eid, "limit": 1})["items"]
        if not found:
            raise ApiError(404, "not_found", "no such employee")
        return page.render("hr/employee.html", status=status, employee=found[0],
                           errors=errors, left_on=left_on or today().isoformat(),
                           done=page.request.args.get("done"),
                           income_bands=INCOME_BANDS)

    @page("POST", "/hr/employees/<eid>/departure", roles=HR)
    def hr_departure(self, page: Page, eid: str) -> Response:
        _ = page.lang.gettext
        left_on = page.form.get("left_on", "").strip()
        errors = Errors(page.lang)
        if not left_on:
            errors.add("left_on", _("Enter the last day of work."))
        else:
            try:
                page.api("POST", f"/companies/{page.company_id}/employees/{eid}/departure",
                         json={"left_on": left_on})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = _errors(page.lang, exc)
            else:
                return page.redirect(f"/hr/employees/{eid}?done=left")
        return self._employee_page(page, eid, errors=errors, status=400, left_on=left_on)

    @page("POST", "/hr/employees/<eid>/invitation", roles=HR)
    def hr_resend_invitation(self, page: Page, eid: str) -> Response:
        try:
            page.api("POST", f"/companies/{page.company_id}/employees/{eid}/invitation")
        except ApiError as exc:
            if exc.status != 409:
                raise
            return self._employee_page(page, eid, status=409, errors=Errors(
                page.lang, message=refusals.say(page.lang, exc, HR_TEXTS)))
        back = page.form.get("back", "")
        if back.startswith("/hr/employees?"):
            return page.redirect(back + "&done=invited")
        return page.redirect(f"/hr/employees/{eid}?done=invited")

    # -- the CSV import, with its preview ---------------------------------------------------
    @page("GET", "/hr/employees/import", roles=HR)
    def hr_import_form(self, page: Page) -> Response:
        return page.render("hr/import.html", preview=None, packed=None)

    @page("GET", "/hr/employees/import/template.csv", roles=HR)
    def hr_import_template(self, page: Page) -> Response:
        text = write_csv(IMPORT_COLUMNS, [dict(zip(IMPORT_COLUMNS, (
            "RSSMRA85T10A562S", "Mario", "Rossi", "mario.rossi@example.it", "impiegati",
            "up_to_80k", "BNCFNC15M01L219C", "2020-03-01"), strict=True))])
        return page.finish(Response("\ufeff" + text, mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="wecare-employees.csv"'}))

    @page("POST", "/hr/employees/import", roles=HR)
    def hr_import_preview(self, page: Page) -> Response:
        """The file checked by the API's dry run: every bad row with its reasons,
        or the rows to import; nothing is written."""
        _ = page.lang.gettext
        upload = page.request.files.get("file")
        errors = Errors(page.lang)
        raw = upload.read() if upload else b""
        if upload is None or not raw:
            errors.add("file", _("Choose a CSV file."))
            return page.render("hr/import.html", status=400, errors=errors, preview=None,
                               packed=None)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.add("file", _("The file is not UTF-8 text: save it as “CSV UTF-8” and "
                                 "try again."))
            return page.render("hr/import.html", status=400, errors=errors, preview=None,
                               packed=None)
        return self._preview(page, text, upload.filename or "")

    def _preview(self, page: Page, text: str, filename: str) -> Response:
        _ = page.lang.gettext
        try:
            preview = page.api("POST", f"/companies/{page.company_id}/employees/import/preview",
                               data=text.encode("utf-8"), headers={"Content-Type": "text/csv"})
        except ApiError as exc:
            if exc.status not in (400, 422):
                raise
            errors = Errors(page.lang)
            errors.add_text("file", refusals.say(page.lang, exc, HR_TEXTS))
            return page.render("hr/import.html", status=400, errors=errors, preview=None,
                               packed=None)
        bad = [{"row": int(row), "problems": [
            (field, [refusals.text(page.lang, p.get("code", ""), p.get("params"), HR_TEXTS)
                     for p in found]) for field, found in problems.items()]}
            for row, problems in preview.get("problems", {}).items()]
        packed = pack_csv(text) if preview["valid"] else None
        if packed and len(packed) > MAX_CARRIED_CSV:
            packed = ""  # too big to carry in the form: the person chooses the file again
        return page.render("hr/import.html", status=200 if preview["valid"] else 400,
                           preview=preview, bad=bad, packed=packed, filename=filename)

    @page("POST", "/hr/employees/import/confirm", roles=HR)
    def hr_import(self, page: Page) -> Response:
        _ = page.lang.gettext
        upload = page.request.files.get("file")
        text = (upload.read().decode("utf-8", "replace") if upload and upload.filename
                else unpack_csv(page.form.get("csv", "")))
        if not text:
            errors = Errors(page.lang)
            errors.add("file", _("Choose the file again."))
            return page.render("hr/import.html", status=400, errors=errors, preview=None,
                               packed=None)
        try:
            result = page.api("POST", f"/companies/{page.company_id}/employees/import",
                              data=text.encode("utf-8"), headers={"Content-Type": "text/csv"})
        except ApiError as exc:
            if exc.status not in (400, 409, 422):
                raise
            return self._preview(page, text, "")  # changed since the preview: show why
        return page.redirect(f"/hr/employees?done=imported&n={result['imported']}")

    # -- HR colleagues -----------------------------------------------------------------------
    @page("GET", "/hr/colleagues", roles=HR)
    def hr_colleagues(self, page: Page) -> Response:
        return self._colleagues_page(page, dict.fromkeys(COLLEAGUE_FIELDS, ""))

    def _colleagues_page(self, page: Page, form: dict[str, str], errors: Errors | None = None,
                         status: int = 200) -> Response:
        """The company's HR managers (each but yourself with a button to remove their
        access), and the invitation of a new one."""
        colleagues = page.api("GET", f"/companies/{page.company_id}/hr-managers")["items"]
        args = page.request.args
        return page.render("hr/colleagues.html", status=status, form=form, errors=errors,
                           colleagues=colleagues, me=page.claims.get("sub"),
                           sent=args.get("sent") if status == 200 else None,
                           removed=args.get("removed") if status == 200 else None)

    @page("POST", "/hr/colleagues/<uid>/removal", roles=HR)
    def hr_remove_colleague(self, page: Page, uid: str) -> Response:
        """Their sessions end at once and they can no longer sign in."""
        try:
            removed = page.api("POST",
                               f"/companies/{page.company_id}/hr-managers/{uid}/removal")
        except ApiError as exc:
            if exc.status != 409:
                raise
            return self._colleagues_page(page, dict.fromkeys(COLLEAGUE_FIELDS, ""),
                                         errors=refusals.errors(page.lang, exc), status=409)
        return page.redirect("/hr/colleagues?" + urlencode({"removed": removed["email"]}))

    @page("POST", "/hr/colleagues", roles=HR)
    def hr_invite_colleague(self, page: Page) -> Response:
        form = {k: page.form.get(k, "").strip() for k in COLLEAGUE_FIELDS}
        try:
            page.api("POST", f"/companies/{page.company_id}/hr-invitations", json=form)
        except ApiError as exc:
            if exc.status not in (400, 409, 422):
                raise
            return self._colleagues_page(page, form, errors=_errors(page.lang, exc), status=400)
        return page.redirect("/hr/colleagues?" + urlencode({"sent": form["email"]}))

    # -- money in ---------------------------------------------------------------------------
    @page("GET", "/hr/funding", roles=HR)
    def hr_funding(self, page: Page) -> Response:
        return self._funding_page(page)

    def _funding_options(self, page: Page) -> dict[str, Any]:
        """Whether the company may pay by card or SEPA Direct Debit (Stripe configured,
        with its publishable key): the API says so; when it cannot, a bank transfer."""
        try:
            return page.api("GET", f"/companies/{page.company_id}/funding-options")
        except ApiError as exc:
            if exc.status in (401, 403):
                raise
            return NO_CARD

    def _funding_page(self, page: Page, errors: Errors | None = None, status: int = 200,
                      amount: str = "", card_errors: Errors | None = None,
                      card_amount: str = "") -> Response:
        cid = page.company_id
        company = page.api("GET", f"/companies/{cid}")
        topups = page.api("GET", f"/companies/{cid}/topups",
                          params={"limit": 20, "cursor": page.request.args.get("cursor")})
        new = page.request.args.get("topup")
        returned = page.request.args.get("redirect_status")  # back from Stripe's page
        return page.render("hr/funding.html", status=status, company=company, topups=topups,
                           new=next((t for t in topups["items"] if t["id"] == new), None),
                           errors=errors, typed_amount=amount, states=TOPUP_STATES,
                           card_states=CARD_STATES, options=self._funding_options(page),
                           card_errors=card_errors or Errors(page.lang),
                           typed_card_amount=card_amount,
                           returned=returned if returned in ("succeeded", "failed") else None)

    def _topup(self, page: Page, tid: str) -> dict[str, Any]:
        """One of the company's recent top-ups (the 50 newest), or not found."""
        topups = page.api("GET", f"/companies/{page.company_id}/topups", params={"limit": 50})
        found = next((t for t in topups["items"] if t["id"] == tid), None)
        if found is None:
            raise ApiError(404, "not_found", "no such top-up")
        return found

    @page("POST", "/hr/funding/card", roles=HR)
    def hr_card_topup(self, page: Page) -> Response:
        """A card or SEPA Direct Debit top-up: the API creates it with Stripe (a
        PaymentIntent), then the payment page collects the payment with Stripe's own
        Payment Element; Stripe's signed webhook credits the fund."""
        topup, errors, typed = _request_topup(page, "card_amount", "card")
        if topup is not None:
            return page.redirect(f"/hr/funding/card/{topup['id']}")
        return self._funding_page(page, card_errors=errors, status=400, card_amount=typed)

    @page("GET", "/hr/funding/card/<tid>", roles=HR)
    def hr_card_payment(self, page: Page, tid: str) -> Response:
        """The payment, on Stripe's Payment Element (card or SEPA Direct Debit): only
        this page lets Stripe.js in (its Content-Security-Policy names Stripe)."""
        topup = self._topup(page, tid)
        if topup["method"] != "card":
            raise ApiError(404, "not_found", "no such card top-up")
        if topup["status"] == "succeeded" or not topup.get("client_secret"):
            return page.redirect(f"/hr/funding?topup={tid}#new-topup")
        options = self._funding_options(page)
        if not options.get("card_available"):
            return page.redirect("/hr/funding")
        stripe_js = page.allow_stripe()
        return page.render("hr/card_payment.html", topup=topup, stripe_js=stripe_js,
                           publishable_key=options["stripe_publishable_key"],
                           return_path=f"/hr/funding?topup={tid}")

    @page("GET", "/hr/funding/topups/<tid>", roles=HR)
    def hr_topup_state(self, page: Page, tid: str) -> Response:
        """A card top-up's state, for the funding page to follow until Stripe's
        confirmation arrives (htmx asks every few seconds; without it, a reload)."""
        if not page.htmx:
            return page.redirect(f"/hr/funding?topup={tid}#new-topup")
        topup = self._topup(page, tid)
        if topup["status"] == "pending":
            return page.render("hr/_topup_state.html", new=topup, returned=None)
        # settled: the fund's balance and the top-up's row change on the page too
        company = page.api("GET", f"/companies/{page.company_id}")
        return page.render("hr/_topup_poll.html", new=topup, company=company, returned=None,
                           options=self._funding_options(page), states=TOPUP_STATES,
                           card_states=CARD_STATES)

    @page("POST", "/hr/funding", roles=HR)
    def hr_topup(self, page: Page) -> Response:
        topup, errors, typed = _request_topup(page, "amount", "bank_transfer")
        if topup is not None:
            return page.redirect(f"/hr/funding?topup={topup['id']}#new-topup")
        return self._funding_page(page, errors=errors, status=400, amount=typed)

    # -- plans ------------------------------------------------------------------------------
    @page("GET", "/hr/plans", roles=HR)
    def hr_plans(self, page: Page) -> Response:
        plans = page.api("GET", f"/companies/{page.company_id}/plans")["items"]
        return page.render("hr/plans.html", plans=plans, leftover=LEFTOVER, today=today(),
                           done=page.request.args.get("done"))

    @page("GET", "/hr/plans/new", roles=HR)
    def hr_new_plan(self, page: Page) -> Response:
        year = _int(page.request.args.get("fiscal_year"), today().year) or today().year
        year = year if year in self._plan_years() else today().year
        form = {"name": page.request.args.get("name", f"Welfare {year}"),
                "fiscal_year": year, "valid_from": f"{year}-01-01",
                "valid_until": f"{year}-12-31",
                "categories": [c for c in page.request.args.getlist("categories")
                               if c in views.CATEGORY_NAMES],
                "leftover_policy": "return_to_fund", "target_groups": "", "budget": ""}
        return self._plan_form(page, form)

    def _plan_years(self) -> list[int]:
        return [today().year, today().year + 1]

    def _plan_form(self, page: Page, form: dict[str, Any], errors: Errors | None = None,
                   status: int = 200) -> Response:
        rules = page.api_anonymous("GET", "/fiscal-rules", params={"year": form["fiscal_year"]})
        template = "hr/_plan_categories.html" if page.htmx else "hr/plan_new.html"
        return page.render(template, status=status, form=form, errors=errors, rules=rules,
                           years=self._plan_years(), leftover=LEFTOVER,
                           hints={r["category"]: _category_hint(page.lang, r, rules)
                                  for r in rules["categories"]})

    @page("POST", "/hr/plans/new", roles=HR)
    def hr_create_plan(self, page: Page) -> Response:
        _ = page.lang.gettext
        f = page.form
        form = {"name": f.get("name", "").strip(),
                "fiscal_year": _int(f.get("fiscal_year"), today().year),
                "valid_from": f.get("valid_from", ""), "valid_until": f.get("valid_until", ""),
                "categories": [c for c in f.getlist("categories") if c in views.CATEGORY_NAMES],
                "leftover_policy": f.get("leftover_policy", ""),
                "target_groups": f.get("target_groups", "").strip(),
                "budget": f.get("budget", "").strip()}
        errors = Errors(page.lang)
        budget = None
        if form["budget"]:
            budget = i18n.parse_amount(form["budget"])
            if not budget:
                errors.add("budget", _("Enter an amount in euros, like 500,00, or leave it "
                                       "empty."))
        if form["fiscal_year"] not in self._plan_years():
            form["fiscal_year"] = today().year
        if not form["name"]:
            errors.add("name", _("Enter a name for the plan."))
        for name in ("valid_from", "valid_until"):
            if not _is_date(form[name]):
                errors.add(name, _("Enter a date, like 31/12/%(year)s.", year=today().year))
        if not errors.get("valid_until") and not errors.get("valid_from") and (
                form["valid_until"] < form["valid_from"]):
            errors.add("valid_until", _("The plan cannot end before it starts."))
        if not form["categories"]:
            errors.add("categories", _("Choose at least one category."))
        if form["leftover_policy"] not in LEFTOVER:
            errors.add("leftover_policy", _("Say what happens to what is left at the end."))
        if not errors:
            groups = [g.strip() for g in re.split(r"[,;\n]", form["target_groups"])
                      if g.strip()]
            try:
                page.api("POST", f"/companies/{page.company_id}/plans", json={
                    "name": form["name"], "fiscal_year": form["fiscal_year"],
                    "valid_from": form["valid_from"] or None,
                    "valid_until": form["valid_until"] or None,
                    "categories": form["categories"],
                    "leftover_policy": form["leftover_policy"] or None,
                    "target_groups": groups or None, "per_employee_budget_cents": budget})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = _errors(page.lang, exc, {"per_employee_budget_cents": "budget"})
            else:
                return page.redirect("/hr/plans?done=created")
        return self._plan_form(page, form, errors, status=400)

    # -- changing a plan ----------------------------------------------------------------------
    def _plan(self, page: Page, pid: str) -> dict[str, Any]:
        plans = page.api("GET", f"/companies/{page.company_id}/plans")["items"]
        found = next((p for p in plans if p["id"] == pid), None)
        if found is None:
            raise ApiError(404, "not_found", "no such plan")
        return found

    @page("GET", "/hr/plans/<pid>", roles=HR)
    def hr_plan(self, page: Page, pid: str) -> Response:
        plan = self._plan(page, pid)
        budget = plan.get("per_employee_budget_cents")
        form = {"name": plan["name"], "valid_until": plan["valid_until"],
                "categories": list(plan["categories"]),
                "target_groups": ", ".join(plan.get("target_groups") or []),
                "budget": page.lang.amount(budget) if budget else "",
                "leftover_policy": plan["leftover_policy"]}
        return self._plan_edit_form(page, plan, form)

    def _plan_edit_form(self, page: Page, plan: dict[str, Any], form: dict[str, Any],
                        errors: Errors | None = None, status: int = 200) -> Response:
        rules = page.api_anonymous("GET", "/fiscal-rules", params={"year": plan["fiscal_year"]})
        return page.render("hr/plan_edit.html", status=status, plan=plan, form=form,
                           errors=errors, rules=rules, leftover=LEFTOVER,
                           ended=plan["valid_until"] < today().isoformat(),
                           locked=list(plan["categories"]),
                           hints={r["category"]: _category_hint(page.lang, r, rules)
                                  for r in rules["categories"]})

    @page("POST", "/hr/plans/<pid>", roles=HR)
    def hr_change_plan(self, page: Page, pid: str) -> Response:
        """The plan's form, sent whole: the API applies what changed, or says for each
        field the promise it would break (beside the field, in the person's language)."""
        _ = page.lang.gettext
        plan = self._plan(page, pid)
        f = page.form
        form = {"name": f.get("name", "").strip(), "valid_until": f.get("valid_until", ""),
                # the plan's own categories stay: they can be added to, not removed
                "categories": list(dict.fromkeys(plan["categories"] + [
                    c for c in f.getlist("categories") if c in views.CATEGORY_NAMES])),
                "target_groups": f.get("target_groups", "").strip(),
                "budget": f.get("budget", "").strip(),
                "leftover_policy": f.get("leftover_policy", "")}
        errors = Errors(page.lang)
        budget = None
        if form["budget"]:
            budget = i18n.parse_amount(form["budget"])
            if not budget:
                errors.add("budget", _("Enter an amount in euros, like 500,00, or leave it "
                                       "empty."))
        if not form["name"]:
            errors.add("name", _("Enter a name for the plan."))
        if not _is_date(form["valid_until"]):
            errors.add("valid_until", _("Enter a date, like 31/12/%(year)s.", year=today().year))
        if form["leftover_policy"] not in LEFTOVER:
            errors.add("leftover_policy", _("Say what happens to what is left at the end."))
        if not errors:
            groups = [g.strip() for g in re.split(r"[,;\n]", form["target_groups"])
                      if g.strip()]
            try:
                page.api("PATCH", f"/plans/{pid}", json={
                    "name": form["name"], "valid_until": form["valid_until"],
                    "categories": form["categories"], "target_groups": groups or None,
                    "per_employee_budget_cents": budget,
                    "leftover_policy": form["leftover_policy"]})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = _plan_errors(page.lang, exc)
            else:
                return page.redirect("/hr/plans?done=changed")
        return self._plan_edit_form(page, plan, form, errors, status=400)

    # -- grants ------------------------------------------------------------------------------
    @page("GET", "/hr/grants", roles=HR)
    def hr_grants(self, page: Page) -> Response:
        args = page.request.args
        chosen = [e for e in args.getlist("employee_id") if e][:200]
        form = {"plan_id": args.get("plan_id", ""), "amount": args.get("amount", ""),
                "who": args.get("who") or ("chosen" if chosen else "all"),
                "source": args.get("source") if args.get("source") in GRANT_SOURCES
                else "company", "choice_record": ""}
        return self._grant_form(page, form, chosen)

    def _open_plans(self, page: Page) -> list[dict[str, Any]]:
        plans = page.api("GET", f"/companies/{page.company_id}/plans")["items"]
        return [p for p in plans if p["valid_until"] >= today().isoformat()]

    def _grant_form(self, page: Page, form: dict[str, Any], chosen: list[str],
                    errors: Errors | None = None, status: int = 200) -> Response:
        plans = self._open_plans(page)
        years = sorted({p["fiscal_year"] for p in plans}) or [today().year]
        rules = {y: page.api_anonymous("GET", "/fiscal-rules", params={"year": y})
                 for y in years}
        people = self._people(page, chosen)
        company = page.api("GET", f"/companies/{page.company_id}")
        if not form["plan_id"] and plans:
            form["plan_id"] = plans[0]["id"]
        return page.render("hr/grants.html", status=status, form=form, plans=plans,
                           chosen=[people.get(e, {"id": e}) for e in chosen], rules=rules,
                           company=company, errors=errors)

    def _people(self, page: Page, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Employees by id (the API's table, 200 at a time)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 200):
            chunk = ids[start:start + 200]
            items = page.api("GET", f"/companies/{page.company_id}/employees", params={
                "ids": ",".join(chunk), "limit": 200})["items"]
            found.update({e["id"]: e for e in items})
        return found

    def _grant_request(self, page: Page) -> tuple[dict[str, Any], list[str], Errors,
                                                  dict[str, Any]]:
        _ = page.lang.gettext
        f = page.form
        chosen = [e for e in f.getlist("employee_id") if e][:200]
        form = {"plan_id": f.get("plan_id", ""), "amount": f.get("amount", "").strip(),
                "who": "chosen" if f.get("who") == "chosen" else "all",
                "source": f.get("source") if f.get("source") in GRANT_SOURCES else "company",
                "choice_record": f.get("choice_record", "").strip()}
        errors = Errors(page.lang)
        cents = i18n.parse_amount(form["amount"])
        if not form["plan_id"]:
            errors.add("plan_id", _("Choose a plan."))
        if cents is None or cents <= 0:
            errors.add("amount", _("Enter the amount each person receives, like 250,00."))
        if form["who"] == "chosen" and not chosen:
            errors.add("who", _("Choose people in the employees list, or grant to everyone "
                                "eligible."))
        if form["source"] == "performance_bonus" and len(form["choice_record"]) < 3:
            errors.add("choice_record", _(
                "Say where each employee's written choice to convert is recorded, or offer "
                "the bonus for them to choose."))
        body = {"amount_cents": cents, "source": form["source"]}
        if form["source"] == "performance_bonus":
            body["choice_record"] = form["choice_record"]
        body.update({"employee_ids": chosen} if form["who"] == "chosen" else {"all": True})
        return form, chosen, errors, body

    @page("POST", "/hr/grants/check", roles=HR)
    def hr_check_grant(self, page: Page) -> Response:
        """The grant as the API would do it, before anything moves: who, the total,
        the fund, and anyone the budget or the bonus rules would refuse."""
        form, chosen, errors, body = self._grant_request(page)
        if not errors:
            try:
                check = page.api("POST", f"/plans/{form['plan_id']}/grant-check", json=body)
            except ApiError as exc:
                if exc.status not in (400, 404, 409, 422):
                    raise
                errors = _errors(page.lang, exc, {"amount_cents": "amount",
                                                  "employee_ids": "who", "all": "who"})
            else:
                plan = next((p for p in self._open_plans(page) if p["id"] == form["plan_id"]),
                            None)
                people = self._people(page, sorted({p["employee_id"] for p in
                                                    check["problems"]}))
                rules = page.api_anonymous("GET", "/fiscal-rules",
                                           params={"year": check["fiscal_year"]})
                return page.render("hr/grant_check.html", form=form, chosen=chosen,
                                   check=check, plan=plan, people=people, rules=rules)
        return self._grant_form(page, form, chosen, errors, status=400)

    @page("POST", "/hr/grants", roles=HR)
    def hr_grant(self, page: Page) -> Response:
        _ = page.lang.gettext
        form, chosen, errors, body = self._grant_request(page)
        key = page.form.get("idempotency_key", "")
        if not key:
            errors.message = _("Reload the page and try again.")
        if not errors:
            try:
                grant = page.api("POST", f"/plans/{form['plan_id']}/grants", key=key,
                                 json=body)
            except ApiError as exc:
                if exc.status not in (400, 404, 409, 422):
                    raise
                errors = _errors(page.lang, exc, {"amount_cents": "amount",
                                                  "employee_ids": "who", "all": "who"})
            else:
                ids = grant.get("employee_ids") or chosen
                shown = ids[:100]
                people = self._people(page, shown)
                plan = next((p for p in self._open_plans(page) if p["id"] == grant["plan_id"]),
                            {"name": ""})
                return page.render("hr/grant_done.html", grant=grant, plan=plan,
                                   people=[people.get(e, {"id": e}) for e in shown],
                                   more=max(len(ids) - len(shown), 0))
        return self._grant_form(page, form, chosen, errors, status=400)

    # -- reimbursements -----------------------------------------------------------------------
    @page("GET", "/hr/reimbursements", roles=HR)
    def hr_reimbursements(self, page: Page) -> Response:
        return self._reimbursements_page(page)

    def _reimbursements_page(self, page: Page, errors: Errors | None = None,
                             status: int = 200, failed: str = "",
                             reason: str = "") -> Response:
        args = page.request.args
        state = args.get("status") if args.get("status") in REIMBURSEMENT_STATES else (
            "requested")
        listing = page.api("GET", f"/companies/{page.company_id}/reimbursements", params={
            "status": state, "limit": 20, "cursor": args.get("cursor")})
        people = self._people(page, sorted({r["employee_id"] for r in listing["items"]}))
        return page.render("hr/reimbursements.html", status=status, listing=listing,
                           people=people, state=state, states=REIMBURSEMENT_STATES,
                           errors=errors, failed_rid=failed, reason=reason,
                           done=args.get("done"))

    @page("GET", "/hr/reimbursements/<rid>/receipt", roles=HR)
    def hr_receipt(self, page: Page, rid: str) -> Response:
        answer = page.api("GET", f"/companies/{page.company_id}/reimbursements/{rid}/receipt",
                          raw=True)
        headers = {k: v for k, v in answer.headers.items() if k.lower() in (
            "content-disposition", "content-security-policy")}
        response = Response(answer.content, mimetype=answer.headers.get(
            "Content-Type", "application/octet-stream"), headers={
            **headers, "Cache-Control": "private, no-store"})
        return page.finish(response)

    @page("POST", "/hr/reimbursements/<rid>/decision", roles=HR)
    def hr_decide(self, page: Page, rid: str) -> Response:
        _ = page.lang.gettext
        approved = page.form.get("decision") == "approve"
        reason = page.form.get("reason", "").strip()
        key = page.form.get("idempotency_key", "")
        errors = Errors(page.lang)
        if not approved and not reason:
            errors.add(f"reason-{rid}", _("Say why you refuse it: the employee reads it."))
        elif not key:
            errors.message = _("Reload the page and try again.")
        if not errors:
            try:
                page.api("POST", f"/reimbursements/{rid}/decision", key=key,
                         json={"approved": approved, "reason": reason})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = _errors(page.lang, exc, {"reason": f"reason-{rid}"})
            else:
                return page.redirect("/hr/reimbursements?done=" + (
                    "approved" if approved else "rejected"))
        return self._reimbursements_page(page, errors=errors, status=400, failed=rid,
                                         reason=reason)

    # -- the payroll report ---------------------------------------------------------------------
    @page("GET", "/hr/report", roles=HR)
    def hr_report(self, page: Page) -> Response:
        year = _int(page.request.args.get("year"), today().year) or today().year
        year = min(max(year, 2000), 2100)
        report = page.api("GET", f"/companies/{page.company_id}/reports/fiscal",
                          params={"year": year})
        return page.render("hr/report.html", report=report, year=year,
                           years=list(range(today().year, today().year - 6, -1)))

    @page("GET", "/hr/report.csv", roles=HR)
    def hr_report_csv(self, page: Page) -> Response:
        year = _int(page.request.args.get("year"), today().year) or today().year
        answer = page.api("GET", f"/companies/{page.company_id}/reports/fiscal",
                          params={"year": min(max(year, 2000), 2100), "format": "csv"},
                          raw=True)
        return page.finish(Response(answer.content, mimetype="text/csv", headers={
            "Content-Disposition": answer.headers.get(
                "Content-Disposition", f'attachment; filename="welfare-{year}.csv"'),
            "Cache-Control": "private, no-store"}))


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _errors(lang: i18n.Lang, exc: ApiError, aliases: dict[str, str] | None = None) -> Errors:
    """An API refusal as a form's errors: beside each field it names, or, for a
    rule (422), as the page's message, which says what is possible."""
    if exc.status == 422 or not exc.problems:
        errors = Errors(lang)
        errors.message = refusals.say(lang, exc, HR_TEXTS)
        return errors
    return refusals.errors(lang, exc, aliases=aliases, texts=HR_TEXTS, summary=False)


PLAN_FIELDS = {"per_employee_budget_cents": "budget"}
PLAN_FORM_FIELDS = {"name", "valid_until", "categories", "target_groups",
                    "per_employee_budget_cents", "leftover_policy"}


def _plan_errors(lang: i18n.Lang, exc: ApiError) -> Errors:
    """A refused change: each field's problem beside the field (rules too, 422), the
    rest as the summary's message."""
    errors = refusals.errors(lang, exc, aliases=PLAN_FIELDS, texts=HR_TEXTS, summary=False)
    if not exc.problems or set(exc.problems) - PLAN_FORM_FIELDS:
        errors.message = refusals.say(lang, exc, HR_TEXTS)
    return errors


def _category_hint(lang: i18n.Lang, rule: dict[str, Any], rules: dict[str, Any]) -> str:
    """What the law allows in a category, in a line (from /api/v1/fiscal-rules)."""
    _ = lang.gettext
    how = (_("voucher or reimbursement with receipt") if rule["cash_reimbursable"]
           else _("voucher or payment to the fund, never in cash"))
    if rule["category"] == "fringe":
        limit = _("tax-free up to %(limit)s a year per employee (%(children)s with dependent "
                  "children); a cent over and the whole year's amount is taxed",
                  limit=lang.money(rules["fringe"]["limit_cents"]),
                  children=lang.money(rules["fringe"]["limit_with_children_cents"]))
    elif rule["yearly_limit_cents"] is not None:
        limit = _("tax-free up to %(limit)s a year per employee",
                  limit=lang.money(rule["yearly_limit_cents"]))
    else:
        limit = _("tax-free with no yearly limit")
    return f"{limit[0].upper()}{limit[1:]}; {how}. {rule['legal_basis']}."


def _table_link(query: dict[str, Any]) -> Callable[..., str]:
    """link(**changes) → the employees table's address with those changes."""
    def link(**changes: Any) -> str:
        merged = {**query, **changes}
        return "/hr/employees?" + urlencode({k: v for k, v in merged.items()
                                             if v not in (None, "")})
    return link
