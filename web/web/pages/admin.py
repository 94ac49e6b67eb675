"""The operators' console, at a desk: what waits for them (applications,
bank transfers, the settlement, the health of the books), and the buttons
that clear it. Every action is a plain form; the gateway decides who may."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from web import refusals
from web.client import ApiError
from web.i18n import parse_amount
from web.routing import Page, page
from web.views import Errors

ADMIN = ("admin",)
MAX_COMMISSION_BPS = 5000  # the API's own ceiling: 50 %
LIST_PAGES = 10  # pages of 200 read for one screen: 2,000 rows at most


def percent_to_bps(text: str) -> int | None:
    """A commission typed in percent ("3", "2,5", "0", "3 %") → basis points;
    None when it is not a percentage with at most two decimals."""
    cleaned = (text or "").replace("%", "").strip()
    if not cleaned:
        return None
    return parse_amount(cleaned)  # hundredths of a unit: exactly basis points


def bps_to_percent(lang: Any, bps: int | None) -> str:
    """Basis points as a person reads a percentage ("3", "2,5", "0")."""
    if bps is None:
        return ""
    text = lang.amount(bps)  # "3,00" / "3.00"
    return text.rstrip("0").rstrip(",.") if ("," in text or "." in text) else text


def _all(page: Page, path: str, first: dict[str, Any] | None = None,
         **params: Any) -> tuple[list[dict[str, Any]], bool]:
    """Every item of a paged list (up to LIST_PAGES pages) and whether more remain;
    `first`: its first page, when already asked for."""
    items: list[dict[str, Any]] = []
    cursor = None
    for n in range(LIST_PAGES):
        chunk = first if (n == 0 and first is not None) else page.api(
            "GET", path, params={**params, "limit": 200, "cursor": cursor})
        items += chunk["items"]
        cursor = chunk.get("next_cursor")
        if not cursor:
            return items, False
    return items, True


def _first_pages(page: Page, *lists: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The first page of several lists at once."""
    return page.api_all(*[("GET", path, {"params": {**params, "limit": 200}})
                          for path, params in lists])


def _maybe(page: Page, method: str, path: str, **kwargs: Any) -> Any:
    """An answer, or None when that part of WeCare cannot answer right now (the
    rest of the page still shows); the session's own troubles still go up."""
    try:
        return page.api(method, path, **kwargs)
    except ApiError as exc:
        if exc.status in (401, 403):
            raise
        return None


class AdminPages:
    # -- what waits --------------------------------------------------------------------------------
    @page("GET", "/admin", roles=ADMIN)
    def admin_home(self, page: Page) -> Response:
        # every part asked at once: the page waits for the slowest, not for the sum
        failed, parked, applications, transfers, preview, audit = page.api_all(
            ("GET", "/notifications/failed"),
            ("GET", "/dead-letters", {"params": {"limit": 500}}),
            ("GET", "/providers", {"params": {"status": "pending", "limit": 200}}),
            ("GET", "/topups", {"params": {"status": "pending", "method": "bank_transfer",
                                           "limit": 200}}),
            ("GET", "/settlements/preview"),
            ("GET", "/ledger/audit"), soft=True)

        def count(answer: dict[str, Any] | None) -> dict[str, Any] | None:
            if answer is None:
                return None
            return {"n": len(answer["items"]), "more": bool(answer.get("next_cursor"))}

        return page.render(
            "admin/home.html", applications=count(applications), transfers=count(transfers),
            preview=preview, failed=None if failed is None else len(failed["items"]),
            parked=None if parked is None else len(parked["items"]), audit=audit)

    # -- providers ---------------------------------------------------------------------------------
    @page("GET", "/admin/providers", roles=ADMIN)
    def admin_providers(self, page: Page) -> Response:
        return self._providers_page(page)

    def _providers_page(self, page: Page, errors: Errors | None = None, status: int = 200,
                        typed: dict[str, str] | None = None) -> Response:
        firsts = _first_pages(page, ("/providers", {"status": "pending"}),
                              ("/providers", {"status": "approved"}),
                              ("/providers", {"status": "suspended"}), ("/circuit", {}))
        pending, more_pending = _all(page, "/providers", firsts[0], status="pending")
        approved, _ = _all(page, "/providers", firsts[1], status="approved")
        suspended, _ = _all(page, "/providers", firsts[2], status="suspended")
        circuit, more_circuit = _all(page, "/circuit", firsts[3])
        terms = {p["id"]: p for p in approved}
        done = page.request.args.get("done")
        who = page.request.args.get("id", "")
        named = next((p for p in pending + approved + suspended if p["id"] == who), None)
        return page.render("admin/providers.html", status=status, errors=errors,
                           pending=pending, more_pending=more_pending, circuit=circuit,
                           more_circuit=more_circuit, terms=terms, suspended=suspended,
                           typed=typed or {}, done=done if named else None, named=named,
                           percent=lambda bps: bps_to_percent(page.lang, bps))

    @page("POST", "/admin/providers/<vid>/approve", roles=ADMIN)
    def approve_provider(self, page: Page, vid: str) -> Response:
        _ = page.lang.gettext
        field = f"commission-{vid}"
        typed = page.form.get("commission", "")
        bps = percent_to_bps(typed)
        errors = Errors(page.lang)
        if bps is None:
            errors.add(field, _("Enter the commission in percent, like 3 or 2,5 (0 is "
                                "allowed)."))
        elif bps > MAX_COMMISSION_BPS:
            errors.add(field, _("The commission can be at most 50%."))
        if not errors:
            try:
                page.api("POST", f"/providers/{vid}/approval",
                         json={"status": "approved", "commission_bps": bps})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = refusals.errors(page.lang, exc, aliases={"commission_bps": field})
            else:
                return page.redirect("/admin/providers?" + urlencode(
                    {"done": "approved", "id": vid}))
        return self._providers_page(page, errors=errors, status=400, typed={vid: typed})

    @page("POST", "/admin/providers/<vid>/suspend", roles=ADMIN)
    def suspend_provider(self, page: Page, vid: str) -> Response:
        page.api("POST", f"/providers/{vid}/approval", json={"status": "suspended"})
        return page.redirect("/admin/providers?" + urlencode({"done": "suspended", "id": vid}))

    # -- what a provider's phone may accept without a network (docs/offline.md) ----------------
    @page("GET", "/admin/providers/<vid>/offline", roles=ADMIN)
    def provider_offline(self, page: Page, vid: str) -> Response:
        return self._offline_page(page, vid)

    def _offline_page(self, page: Page, vid: str, errors: Errors | None = None,
                      status: int = 200, typed: dict[str, str] | None = None) -> Response:
        limits, duplicates = page.api_all(("GET", f"/providers/{vid}/offline-limits"),
                                          ("GET", f"/providers/{vid}/offline-duplicates"))
        names = {p["id"]: p["name"] for p in _all(page, "/providers", status="approved")[0]}
        shown = typed or {"voucher": page.lang.amount(limits["voucher_cents"]),
                          "waiting": page.lang.amount(limits["waiting_cents"]),
                          "hours": str(limits["hours"])}
        return page.render("admin/offline.html", status=status, errors=errors, vid=vid,
                           name=names.get(vid, ""), typed=shown,
                           duplicates=duplicates["items"],
                           done=page.request.args.get("done") == "1" and status == 200)

    @page("POST", "/admin/providers/<vid>/offline", roles=ADMIN)
    def set_provider_offline(self, page: Page, vid: str) -> Response:
        _ = page.lang.gettext
        typed = {name: page.form.get(name, "").strip() for name in ("voucher", "waiting", "hours")}
        errors = Errors(page.lang)
        voucher, waiting = parse_amount(typed["voucher"]), parse_amount(typed["waiting"])
        hours = int(typed["hours"]) if typed["hours"].isdigit() else None
        if voucher is None:
            errors.add("voucher", _("Enter an amount in euros, like 150 or 99,50."))
        if waiting is None:
            errors.add("waiting", _("Enter an amount in euros, like 150 or 99,50."))
        if hours is None:
            errors.add("hours", _("Enter a whole number of hours (0: nothing offline)."))
        if not errors:
            try:
                page.api("PUT", f"/providers/{vid}/offline-limits", json={
                    "voucher_cents": voucher, "waiting_cents": waiting, "hours": hours})
            except ApiError as exc:
                if exc.status not in (400, 422):
                    raise
                errors = refusals.errors(page.lang, exc, aliases={
                    "voucher_cents": "voucher", "waiting_cents": "waiting"})
            else:
                return page.redirect(f"/admin/providers/{vid}/offline?done=1")
        return self._offline_page(page, vid, errors=errors, status=400, typed=typed)

    # -- accounts: disabling any, enabling again ------------------------------------------------
    @page("GET", "/admin/accounts", roles=ADMIN)
    def admin_accounts(self, page: Page) -> Response:
        return self._accounts_page(page, page.request.args.get("email", "").strip())

    def _accounts_page(self, page: Page, text: str, errors: Errors | None = None,
                       status: int = 200) -> Response:
        found = (page.api("GET", "/accounts", params={"email": text})["items"]
                 if text else None)
        args = page.request.args
        return page.render("admin/accounts.html", status=status, errors=errors, text=text,
                           found=found, me=page.claims.get("sub"),
                           done=args.get("done") if status == 200 else None,
                           who=args.get("who", ""))

    @page("POST", "/admin/accounts/<uid>/access", roles=ADMIN)
    def admin_account_access(self, page: Page, uid: str) -> Response:
        """Disable (every session of the account ends at once) or enable again."""
        enabled = page.form.get("enabled") == "true"
        text = page.form.get("email", "").strip()
        try:
            account = page.api("POST", f"/accounts/{uid}/access", json={"enabled": enabled})
        except ApiError as exc:
            if exc.status != 409:
                raise
            return self._accounts_page(page, text, errors=refusals.errors(page.lang, exc),
                                       status=409)
        return page.redirect("/admin/accounts?" + urlencode({
            "email": text, "done": "enabled" if enabled else "disabled",
            "who": account["email"]}))

    # -- money in: bank transfers ---------------------------------------------------------------
    @page("GET", "/admin/transfers", roles=ADMIN)
    def admin_transfers(self, page: Page) -> Response:
        waiting, more = _all(page, "/topups", status="pending", method="bank_transfer")
        args = page.request.args
        return page.render("admin/transfers.html", waiting=waiting, more=more,
                           confirmed=args.get("confirmed"), already=args.get("already"),
                           confirmed_cents=args.get("amount", type=int),
                           company=args.get("company"))

    @page("POST", "/admin/transfers/<tid>/confirm", roles=ADMIN)
    def confirm_transfer(self, page: Page, tid: str) -> Response:
        """Once: a second confirmation (a double click, another tab, a colleague)
        credits nothing and says so."""
        reference = page.form.get("reference", "")
        try:
            topup = page.api("POST", f"/topups/{tid}/confirmation")
        except ApiError as exc:
            if exc.status != 409:
                raise
            return page.redirect("/admin/transfers?" + urlencode({"already": reference}))
        return page.redirect("/admin/transfers?" + urlencode({
            "confirmed": topup.get("bank_reference") or reference,
            "amount": topup["amount_cents"], "company": page.form.get("company", "")}))

    # -- money out: settlements -----------------------------------------------------------------
    @page("GET", "/admin/settlements", roles=ADMIN)
    def admin_settlements(self, page: Page) -> Response:
        return self._settlements_page(page)

    def _settlements_page(self, page: Page, errors: Errors | None = None,
                          status: int = 200) -> Response:
        preview = page.api("GET", "/settlements/preview")
        runs = page.api("GET", "/settlements", params={
            "limit": 20, "cursor": page.request.args.get("cursor")})
        payable = [i for i in preview["items"] if i["payable"]]
        return page.render("admin/settlements.html", status=status, errors=errors,
                           preview=preview, payable=payable, runs=runs)

    @page("POST", "/admin/settlements", roles=ADMIN)
    def run_settlement(self, page: Page) -> Response:
        """One Idempotency-Key per rendered form: a double click pays once."""
        key = page.form.get("idempotency_key", "")
        if not key:
            return self._settlements_page(page, status=400, errors=Errors(
                page.lang, message=page.lang.gettext("Reload the page and try again.")))
        try:
            run = page.api("POST", "/settlements", key=key)
        except ApiError as exc:
            if exc.status not in (400, 409, 422):
                raise
            return self._settlements_page(page, status=exc.status,
                                          errors=refusals.errors(page.lang, exc))
        return page.redirect(f"/admin/settlements/{run['id']}?new=1")

    @page("GET", "/admin/settlements/<sid>", roles=ADMIN)
    def settlement_run(self, page: Page, sid: str) -> Response:
        run = page.api("GET", f"/settlements/{sid}")
        return page.render("admin/run.html", run=run, new=page.request.args.get("new") == "1")

    @page("GET", "/admin/settlements/<sid>/sepa.xml", roles=ADMIN)
    def settlement_sepa(self, page: Page, sid: str) -> Response:
        """The pain.001 file, as the bank wants it: downloaded, not shown."""
        answer = page.api("GET", f"/settlements/{sid}/sepa.xml", raw=True)
        filename = f"wecare-settlement-{sid[:8]}.xml"
        return page.finish(Response(answer.content, mimetype="application/xml", headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store"}))

    # -- the health of the books ---------------------------------------------------------------
    @page("GET", "/admin/health", roles=ADMIN)
    def admin_health(self, page: Page) -> Response:
        args = page.request.args
        return page.render(
            "admin/health.html", audit=_maybe(page, "GET", "/ledger/audit"),
            failed=_maybe(page, "GET", "/notifications/failed"),
            parked=_maybe(page, "GET", "/dead-letters", params={"limit": 500}),
            retried=args.get("retried", type=int), replayed=args.get("replayed"),
            gone=args.get("gone") == "1")

    @page("POST", "/admin/health/emails/retry", roles=ADMIN)
    def retry_emails(self, page: Page) -> Response:
        sent = page.api("POST", "/notifications/failed/retry")["sent"]
        return page.redirect("/admin/health?" + urlencode({"retried": sent}) + "#emails")

    @page("POST", "/admin/health/dead-letters/<mid>/replay", roles=ADMIN)
    def replay_dead_letter(self, page: Page, mid: str) -> Response:
        event_type = page.form.get("event_type", "")
        try:
            page.api("POST", f"/dead-letters/{mid}/replay")
        except ApiError as exc:
            if exc.status != 404:
                raise
            return page.redirect("/admin/health?gone=1#dead-letters")
        return page.redirect("/admin/health?" + urlencode({"replayed": event_type or mid})
                             + "#dead-letters")
