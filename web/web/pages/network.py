"""The network console, at a desk (docs/domain.md#networks): a network's staff sees its
members' figures as totals only (no person, ever: the API gives no more), invites firms
for their HR managers to accept, proposes shared plans, approves the providers of its
territory and proposes agreed prices, and prints the yearly report for funders. Every
page is for the role `network`, on the network named in the person's own token."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from web import i18n, refusals, views
from web.client import ApiError
from web.routing import Page, page
from web.views import N_, Errors

NETWORK = ("network",)
KINDS = {"association": N_("Association"), "consortium": N_("Consortium"),
         "network_contract": N_("Network contract")}
MEMBER_STATES = {"invited": N_("Invited, waiting for the answer"), "active": N_("Member"),
                 "declined": N_("Declined"), "withdrawn": N_("Invitation withdrawn"),
                 "left": N_("Left")}
AGREEMENT_STATES = {"proposed": N_("Waiting for the provider"), "active": N_("In force"),
                    "declined": N_("Declined"), "withdrawn": N_("Withdrawn"),
                    "ended": N_("Ended")}
LEFTOVER = {"return_to_fund": N_("Returns to each firm's fund"),
            "roll_over": N_("Rolls over into the next plan")}
SEAT_FIELDS = ("vat_number", "municipality", "province")
# the second form's own names, so that each field's id is unique on the page
ONBOARD_FIELDS = ("name", "new_vat_number", "new_municipality", "new_province", "hr_email",
                  "hr_first_name", "hr_last_name")
ONBOARD_ALIASES = {"vat_number": "new_vat_number", "municipality": "new_municipality",
                   "province": "new_province"}
# the API's names for the fields of our forms
ALIASES = {"hr_manager.email": "hr_email", "hr_manager.first_name": "hr_first_name",
           "hr_manager.last_name": "hr_last_name",
           "amount_per_employee_cents": "amount", "price_cents": "price",
           "discount_bps": "discount"}


def network_id(page: Page) -> str:
    """The network the signed-in staff acts for (its token says; the gateway checks)."""
    netid = page.claims.get("network_id")
    if not netid:
        raise ApiError(403, "forbidden", "this account acts for no network")
    return str(netid)


def year_of(text: str | None) -> int:
    try:
        year = int(text or "")
    except ValueError:
        return date.today().year
    return min(max(year, 2000), 2100)


def form_errors(lang: i18n.Lang, exc: ApiError, aliases: dict[str, str] | None = None
                ) -> Errors:
    """A refusal beside the fields it names; a rule's (422, 409) as the summary."""
    if exc.status in (409, 422) or not exc.problems:
        errors = Errors(lang)
        errors.message = refusals.say(lang, exc)
        return errors
    return refusals.errors(lang, exc, aliases={**ALIASES, **(aliases or {})})


def _years() -> list[int]:
    return list(range(date.today().year, date.today().year - 6, -1))


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _bps(text: str) -> int | None:
    """A percentage typed ("15", "12,5", "15 %") → basis points."""
    cleaned = (text or "").replace("%", "").strip()
    return i18n.parse_amount(cleaned) if cleaned else None


class NetworkPages:
    # -- the console: totals only ---------------------------------------------------------
    @page("GET", "/network", roles=NETWORK)
    def network_home(self, page: Page) -> Response:
        netid = network_id(page)
        year = year_of(page.request.args.get("year"))
        network, board = page.api_all(
            ("GET", f"/networks/{netid}"),
            ("GET", f"/networks/{netid}/dashboard", {"params": {"year": year}}))
        return page.render("network/home.html", network=network, board=board, year=year,
                           years=_years(), KINDS=KINDS)

    # -- members ------------------------------------------------------------------------------
    @page("GET", "/network/members", roles=NETWORK)
    def network_members(self, page: Page) -> Response:
        return self._members_page(page)

    def _members_page(self, page: Page, errors: Errors | None = None, status: int = 200,
                      typed: dict[str, str] | None = None) -> Response:
        netid = network_id(page)
        members = page.api("GET", f"/networks/{netid}/members")["items"]
        args = page.request.args
        return page.render("network/members.html", status=status, errors=errors,
                           members=members, STATES=MEMBER_STATES, typed=typed or {},
                           done=args.get("done"), who=args.get("who", ""))

    @page("POST", "/network/members/invite", roles=NETWORK)
    def network_invite(self, page: Page) -> Response:
        _ = page.lang.gettext
        typed = {k: page.form.get(k, "").strip() for k in SEAT_FIELDS}
        errors = Errors(page.lang)
        for name, text in (("vat_number", _("Enter the firm's VAT number: 11 digits.")),
                           ("municipality", _("Enter the municipality of the firm's seat.")),
                           ("province", _("Enter the province's two letters, like TO."))):
            if not typed[name]:
                errors.add(name, text)
        if not errors:
            try:
                member = page.api("POST", f"/networks/{network_id(page)}/invitations",
                                  json=typed)
            except ApiError as exc:
                if exc.status not in (400, 404, 409, 422):
                    raise
                errors = form_errors(page.lang, exc)
            else:
                return page.redirect("/network/members?" + urlencode(
                    {"done": "invited", "who": member["company_name"]}))
        return self._members_page(page, errors, 400, typed)

    @page("POST", "/network/members/onboard", roles=NETWORK)
    def network_onboard(self, page: Page) -> Response:
        _ = page.lang.gettext
        typed = {k: page.form.get(k, "").strip() for k in ONBOARD_FIELDS}
        errors = Errors(page.lang)
        for name, text in (("name", _("Enter the firm's name.")),
                           ("new_vat_number", _("Enter the firm's VAT number: 11 digits.")),
                           ("new_municipality", _("Enter the municipality of the firm's "
                                                  "seat.")),
                           ("new_province", _("Enter the province's two letters, like TO.")),
                           ("hr_email", _("Enter the HR manager's email address.")),
                           ("hr_first_name", _("Enter the HR manager's first name.")),
                           ("hr_last_name", _("Enter the HR manager's last name."))):
            if not typed[name]:
                errors.add(name, text)
        if not errors:
            try:
                page.api("POST", f"/networks/{network_id(page)}/companies", json={
                    "name": typed["name"], "vat_number": typed["new_vat_number"],
                    "municipality": typed["new_municipality"],
                    "province": typed["new_province"],
                    "hr_manager": {"email": typed["hr_email"],
                                   "first_name": typed["hr_first_name"],
                                   "last_name": typed["hr_last_name"]}})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = form_errors(page.lang, exc, ONBOARD_ALIASES)
            else:
                return page.redirect("/network/members?" + urlencode(
                    {"done": "onboarded", "who": typed["name"]}))
        return self._members_page(page, errors, 400, typed)

    @page("POST", "/network/members/<iid>/withdraw", roles=NETWORK)
    def network_withdraw_invitation(self, page: Page, iid: str) -> Response:
        try:
            member = page.api("POST", f"/networks/{network_id(page)}/invitations/{iid}/"
                              "withdrawal")
        except ApiError as exc:
            if exc.status != 409:
                raise
            return self._members_page(page, form_errors(page.lang, exc), 409)
        return page.redirect("/network/members?" + urlencode(
            {"done": "withdrawn", "who": member["company_name"]}))

    # -- shared plans -------------------------------------------------------------------------
    @page("GET", "/network/plans", roles=NETWORK)
    def network_plans(self, page: Page) -> Response:
        year = date.today().year
        return self._plans_page(page, {
            "name": f"Welfare {year}", "description": "", "fiscal_year": str(year),
            "valid_from": date.today().isoformat(), "valid_until": f"{year}-12-31",
            "categories": [], "leftover_policy": "return_to_fund", "amount": ""})

    def _plans_page(self, page: Page, form: dict[str, Any], errors: Errors | None = None,
                    status: int = 200) -> Response:
        plans = page.api("GET", f"/networks/{network_id(page)}/shared-plans")["items"]
        return page.render("network/plans.html", status=status, errors=errors, plans=plans,
                           form=form, leftover=LEFTOVER, done=page.request.args.get("done"),
                           years=[date.today().year, date.today().year + 1])

    @page("POST", "/network/plans", roles=NETWORK)
    def network_propose_plan(self, page: Page) -> Response:
        _ = page.lang.gettext
        f = page.form
        form = {"name": f.get("name", "").strip(), "description": f.get("description", "").strip(),
                "fiscal_year": f.get("fiscal_year", ""), "valid_from": f.get("valid_from", ""),
                "valid_until": f.get("valid_until", ""),
                "categories": [c for c in f.getlist("categories") if c in views.CATEGORY_NAMES],
                "leftover_policy": f.get("leftover_policy", ""),
                "amount": f.get("amount", "").strip()}
        errors = Errors(page.lang)
        if not form["name"]:
            errors.add("name", _("Enter a name for the plan."))
        for name in ("valid_from", "valid_until"):
            if not _is_date(form[name]):
                errors.add(name, _("Enter a date, like 31/12/%(year)s.", year=date.today().year))
        if not form["categories"]:
            errors.add("categories", _("Choose at least one category."))
        if form["leftover_policy"] not in LEFTOVER:
            errors.add("leftover_policy", _("Say what happens to what is left at the end."))
        amount = i18n.parse_amount(form["amount"])
        if not amount:
            errors.add("amount", _("Enter the amount each employee is granted, in euros, "
                                   "like 300,00."))
        if not errors:
            try:
                page.api("POST", f"/networks/{network_id(page)}/shared-plans", json={
                    "name": form["name"], "description": form["description"],
                    "fiscal_year": year_of(form["fiscal_year"]),
                    "valid_from": form["valid_from"], "valid_until": form["valid_until"],
                    "categories": form["categories"],
                    "leftover_policy": form["leftover_policy"],
                    "amount_per_employee_cents": amount})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = form_errors(page.lang, exc)
            else:
                return page.redirect("/network/plans?done=proposed")
        return self._plans_page(page, form, errors, 400)

    @page("POST", "/network/plans/<spid>/withdraw", roles=NETWORK)
    def network_withdraw_plan(self, page: Page, spid: str) -> Response:
        page.api("POST", f"/networks/{network_id(page)}/shared-plans/{spid}/withdrawal")
        return page.redirect("/network/plans?done=withdrawn")

    # -- the circuit: providers of the territory and agreements --------------------------------
    @page("GET", "/network/circuit", roles=NETWORK)
    def network_circuit(self, page: Page) -> Response:
        return self._circuit_page(page)

    def _circuit_page(self, page: Page, errors: Errors | None = None, status: int = 200,
                      typed: dict[str, str] | None = None) -> Response:
        netid = network_id(page)
        network, providers, agreements = page.api_all(
            ("GET", f"/networks/{netid}"),
            ("GET", f"/networks/{netid}/providers", {"params": {"limit": 200}}),
            ("GET", f"/networks/{netid}/agreements"))
        approved = [p for p in providers["items"] if p["network_status"] == "approved"]
        offerings = page.api_all(*[("GET", "/offerings", {"params": {
            "provider_id": p["id"], "limit": 100}}) for p in approved]) if approved else []
        open_agreements = {a["offering_id"] for a in agreements["items"]
                           if a["status"] in ("proposed", "active")}
        choices = [(p, [o for o in found["items"] if o["id"] not in open_agreements])
                   for p, found in zip(approved, offerings, strict=True)]
        choices = [(p, offers) for p, offers in choices if offers]
        args = page.request.args
        return page.render("network/circuit.html", status=status, errors=errors,
                           network=network, providers=providers["items"],
                           agreements=agreements["items"], choices=choices,
                           STATES=AGREEMENT_STATES, typed=typed or {},
                           done=args.get("done"), who=args.get("who", ""))

    @page("POST", "/network/providers/<vid>/approval", roles=NETWORK)
    def network_approve_provider(self, page: Page, vid: str) -> Response:
        approved = page.form.get("approved") == "true"
        try:
            provider = page.api("POST", f"/networks/{network_id(page)}/providers/{vid}/"
                                "approval", json={"approved": approved})
        except ApiError as exc:
            if exc.status not in (409, 422):
                raise
            return self._circuit_page(page, form_errors(page.lang, exc), exc.status)
        return page.redirect("/network/circuit?" + urlencode({
            "done": "approved" if approved else "removed", "who": provider["name"]}))

    @page("POST", "/network/agreements", roles=NETWORK)
    def network_propose_agreement(self, page: Page) -> Response:
        _ = page.lang.gettext
        typed = {k: page.form.get(k, "").strip() for k in (
            "offering_id", "price", "discount", "valid_until")}
        errors = Errors(page.lang)
        body: dict[str, Any] = {"offering_id": typed["offering_id"]}
        if not typed["offering_id"]:
            errors.add("offering_id", _("Choose the offering."))
        if bool(typed["price"]) == bool(typed["discount"]):
            errors.add("price", _("Give either the agreed price or the discount, not both."))
        elif typed["price"]:
            body["price_cents"] = i18n.parse_amount(typed["price"])
            if not body["price_cents"]:
                errors.add("price", _("Enter the agreed price in euros, like 85,00."))
        else:
            body["discount_bps"] = _bps(typed["discount"])
            if not body["discount_bps"]:
                errors.add("discount", _("Enter the discount in percent, like 15 or 12,5."))
        if typed["valid_until"]:
            if _is_date(typed["valid_until"]):
                body["valid_until"] = typed["valid_until"]
            else:
                errors.add("valid_until", _("Enter a date, like 31/12/%(year)s.",
                                            year=date.today().year))
        if not errors:
            try:
                agreement = page.api("POST", f"/networks/{network_id(page)}/agreements",
                                     json=body)
            except ApiError as exc:
                if exc.status not in (400, 404, 409, 422):
                    raise
                errors = form_errors(page.lang, exc)
            else:
                return page.redirect("/network/circuit?" + urlencode({
                    "done": "proposed", "who": agreement["offering_title"]}))
        return self._circuit_page(page, errors, 400, typed)

    @page("POST", "/network/agreements/<aid>/end", roles=NETWORK)
    def network_end_agreement(self, page: Page, aid: str) -> Response:
        try:
            agreement = page.api("POST", f"/networks/{network_id(page)}/agreements/{aid}/ending")
        except ApiError as exc:
            if exc.status != 409:
                raise
            return self._circuit_page(page, form_errors(page.lang, exc), 409)
        return page.redirect("/network/circuit?" + urlencode({
            "done": "ended", "who": agreement["offering_title"]}))

    # -- the yearly report for funders -----------------------------------------------------------
    @page("GET", "/network/report", roles=NETWORK)
    def network_report(self, page: Page) -> Response:
        year = year_of(page.request.args.get("year"))
        report = page.api("GET", f"/networks/{network_id(page)}/reports/yearly",
                          params={"year": year})
        return page.render("network/report.html", report=report, year=year, years=_years())

    @page("GET", "/network/report.csv", roles=NETWORK)
    def network_report_csv(self, page: Page) -> Response:
        year = year_of(page.request.args.get("year"))
        answer = page.api("GET", f"/networks/{network_id(page)}/reports/yearly",
                          params={"year": year, "format": "csv"}, raw=True)
        return page.finish(Response(answer.content, mimetype="text/csv", headers={
            "Content-Disposition": answer.headers.get(
                "Content-Disposition", f'attachment; filename="rete-{year}.csv"'),
            "Cache-Control": "private, no-store"}))

    # -- colleagues -----------------------------------------------------------------------------
    @page("GET", "/network/staff", roles=NETWORK)
    def network_staff(self, page: Page) -> Response:
        return page.render("network/staff.html", typed={}, done=page.request.args.get("done"),
                           who=page.request.args.get("who", ""))

    @page("POST", "/network/staff", roles=NETWORK)
    def network_invite_staff(self, page: Page) -> Response:
        _ = page.lang.gettext
        typed = {k: page.form.get(k, "").strip() for k in ("email", "first_name", "last_name")}
        errors = Errors(page.lang)
        for name, text in (("first_name", _("Enter the first name.")),
                           ("last_name", _("Enter the last name.")),
                           ("email", _("Enter the email address."))):
            if not typed[name]:
                errors.add(name, text)
        if not errors:
            try:
                page.api("POST", f"/networks/{network_id(page)}/staff-invitations",
                         json={**typed, "language": page.lang.code})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = form_errors(page.lang, exc)
            else:
                return page.redirect("/network/staff?" + urlencode(
                    {"done": "invited", "who": typed["email"]}))
        return page.render("network/staff.html", status=400, errors=errors, typed=typed,
                           done=None, who="")
