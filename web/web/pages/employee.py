"""The employee's pages, on a phone first: what I have and until when, where to
spend it, the voucher to show at the counter."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from web import views
from web.client import ApiError
from web.routing import Page, map_tiles, page
from web.views import Errors

EMPLOYEE = ("employee",)
CATEGORIES = ("education", "family_care", "wellbeing", "transport", "fringe")


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


class EmployeePages:
    @page("GET", "/home", roles=EMPLOYEE)
    def employee_home(self, page: Page) -> Response:
        wallet = page.api("GET", "/me/wallet")
        statement = page.api("GET", "/me/transactions", params={"limit": 5})
        return page.render("employee/home.html", wallet=wallet,
                           movements=statement["items"])

    # -- the catalogue -------------------------------------------------------------------
    @page("GET", "/catalogue", roles=EMPLOYEE)
    def catalogue(self, page: Page) -> Response:
        args = page.request.args
        query = {"q": args.get("q", "").strip() or None,
                 "category": args.get("category") if args.get("category") in CATEGORIES
                 else None,
                 "lat": _float(args.get("lat")), "lon": _float(args.get("lon")),
                 "radius_km": _float(args.get("radius_km")) or None,
                 "cursor": args.get("cursor") or None, "limit": 20}
        if query["lat"] is None or query["lon"] is None:
            query["lat"] = query["lon"] = None
        errors = Errors(page.lang)
        try:
            results = page.api("GET", "/offerings", params=query)
        except ApiError as exc:
            if exc.status != 400:
                raise
            errors = Errors(page.lang, exc.fields, exc.message)
            results = {"items": [], "next_cursor": None}
        template = "employee/_results.html" if page.htmx else "employee/catalogue.html"
        return page.render(template, results=results, query=query, errors=errors,
                           categories=CATEGORIES, tiles=map_tiles())

    @page("GET", "/offerings/<oid>", roles=EMPLOYEE)
    def offering(self, page: Page, oid: str) -> Response:
        return self._offering_page(page, oid)

    def _offering_page(self, page: Page, oid: str, errors: Errors | None = None,
                       status: int = 200, chosen_plan: str = "") -> Response:
        offering = page.api("GET", f"/offerings/{oid}")
        wallet = page.api("GET", "/me/wallet")
        plans = [p for p in wallet["plans"] if offering["category"] in p["categories"]]
        fringe = wallet.get("fringe") if offering["category"] == "fringe" else None
        return page.render("employee/offering.html", status=status, offering=offering,
                           plans=plans, fringe=fringe, errors=errors,
                           chosen_plan=chosen_plan or (plans[0]["plan_id"] if plans else ""))

    @page("POST", "/offerings/<oid>/buy", roles=EMPLOYEE)
    def buy(self, page: Page, oid: str) -> Response:
        """One Idempotency-Key per rendered form: a double tap buys once."""
        key = page.form.get("idempotency_key", "")
        plan_id = page.form.get("plan_id") or None
        if not key:
            return self._offering_page(page, oid, status=400, errors=Errors(
                page.lang, message=page.lang.gettext("Reload the page and try again.")))
        try:
            voucher = page.api("POST", "/me/vouchers", key=key,
                               json={"offering_id": oid, "plan_id": plan_id})
        except ApiError as exc:
            if exc.status in (400, 404, 409, 422):
                return self._offering_page(page, oid, status=exc.status, chosen_plan=plan_id
                                           or "", errors=Errors(page.lang, exc.fields,
                                                                exc.message))
            raise
        return page.redirect(f"/vouchers/{voucher['id']}?new=1")

    # -- vouchers ---------------------------------------------------------------------------
    @page("GET", "/vouchers", roles=EMPLOYEE)
    def vouchers(self, page: Page) -> Response:
        items: list[dict[str, Any]] = []
        cursor = None
        for _ in range(10):  # a person's vouchers: a few pages at most
            chunk = page.api("GET", "/me/vouchers", params={"limit": 100, "cursor": cursor})
            items += chunk["items"]
            cursor = chunk.get("next_cursor")
            if not cursor:
                break
        groups = {state: [v for v in items if v["status"] == state]
                  for state in views.VOUCHER_STATES}
        return page.render("employee/vouchers.html", groups=groups)

    @page("GET", "/vouchers/<vid>", roles=EMPLOYEE)
    def voucher(self, page: Page, vid: str) -> Response:
        voucher = page.api("GET", f"/me/vouchers/{vid}")
        qr = views.qr_svg(voucher["code"], page.lang.gettext("QR code of voucher %(code)s",
                                                             code=voucher["code"]))
        return page.render("employee/voucher.html", voucher=voucher, qr=qr,
                           new=page.request.args.get("new") == "1",
                           cancelled=page.request.args.get("cancelled") == "1")

    @page("POST", "/vouchers/<vid>/cancel", roles=EMPLOYEE)
    def cancel_voucher(self, page: Page, vid: str) -> Response:
        try:
            page.api("POST", f"/me/vouchers/{vid}/cancellation")
        except ApiError as exc:
            if exc.status != 409:
                raise
        return page.redirect(f"/vouchers/{vid}?cancelled=1")
