"""The employee's pages, on a phone first: what I have and until when, where to
spend it, the voucher to show at the counter, refunds with a receipt photo, my
statement, notifications, and the providers I would like to see in WeCare."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from werkzeug.wrappers import Response

from web import i18n, refusals, views
from web.client import ApiError
from web.pages import worth as worth_pages
from web.routing import Page, map_tiles, page
from web.views import N_, Errors

EMPLOYEE = ("employee",)
CATEGORIES = ("education", "family_care", "wellbeing", "transport", "fringe")
# What the law lets be paid back in cash against a receipt; fringe: bills
# (docs/fiscal-rules.md#categories).
REFUNDABLE = ("education", "family_care", "transport", "fringe")
REFUNDABLE_NAMES = {
    "education": N_("School, nursery, summer camp, canteen or books"),
    "family_care": N_("Care of an elderly or dependent relative"),
    "transport": N_("Public transport pass"),
    "fringe": N_("Household bills: electricity, gas, water (fringe benefit)"),
}
REFUND_STATES = {"requested": N_("Waiting for HR"), "approved": N_("Approved"),
                 "rejected": N_("Refused")}
PROPOSAL_STEPS = ("invited", "applied", "approved")
PROPOSAL_STATES = {"invited": N_("Invited"), "applied": N_("Applied to join"),
                   "approved": N_("In WeCare")}
MAX_RECEIPT_BYTES = 5 * 1024 * 1024
# A receipt is what its first bytes say, whatever the phone called it.
RECEIPT_MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"),
                 (b"\xff\xd8\xff", "image/jpeg"))
PAGE_SIZE = 20
FEED_SIZE = 10  # notifications: a phone's screenful or two
# one voucher's state (the list's group names are plural)
VOUCHER_STATE = {"issued": N_("Ready to use"), "redeemed": N_("Already used"),
                 "cancelling": N_("Being cancelled: not usable"),
                 "cancelled": N_("Cancelled: not usable"),
                 "expired": N_("Expired: not usable")}

# -- what the API's refusals mean to a person, per form field ------------------------------
REFUND_FIELD_HELP = {
    "amount": N_("Enter the amount you paid in euros, like 120,50."),
    "category": N_("Choose what the expense was for."),
    "spent_on": N_("Enter the date you paid, as on the receipt."),
    "provider_tax_id": N_("Enter the provider's VAT number (11 digits) or tax code "
                          "(16 characters), as on the receipt."),
    "beneficiary_fiscal_code": N_("Enter a valid tax code: 16 letters and digits, as on the "
                                  "health insurance card."),
    "receipt": N_("Attach the receipt: a photo, or a PDF, JPEG or PNG file of up to 5 MB."),
    "plan_id": N_("Choose one of your plans."),
}
REFUND_FIELDS = ("amount", "category", "spent_on", "provider_tax_id", "beneficiary_fiscal_code",
                 "plan_id")
REFUND_ALIASES = {"amount_cents": "amount", "offering_id": "category",
                  "receipt_content_type": "receipt"}


def last_valid_day(expires_at: str | None) -> str | None:
    """A voucher expires at the first instant after its plan's last day (midnight UTC):
    people read the last day it can be used."""
    if not expires_at:
        return None
    try:
        moment = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    except ValueError:
        return expires_at
    day = moment.date()
    return (day - timedelta(days=1) if moment.time() == time.min else day).isoformat()


def _help(lang: i18n.Lang, name: str) -> str:
    return lang.gettext(REFUND_FIELD_HELP[name])


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _cursor(text: str | None) -> str | None:
    """The API's cursors are numbers or opaque tokens: anything short and plain."""
    return text if text and len(text) <= 100 and text.replace("-", "").isalnum() else None


def _plans_by_id(wallet: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["plan_id"]: p for p in wallet.get("plans", [])}


def _current(plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    today = date.today().isoformat()
    return [p for p in plans if (p.get("valid_until") or today) >= today]


def receipt_type(content: bytes) -> str | None:
    for magic, mimetype in RECEIPT_MAGIC:
        if content.startswith(magic):
            return mimetype
    return None


# an employee who left: the gateway's refusal, or the wallet's
LEFT_THE_COMPANY = ("read_only_after_leaving", "employee_left")


# What a refused purchase says on the offering's page (the page knows the price);
# any other code is said as web.refusals says it.
PURCHASE_TEXTS = {
    "fringe_limit_exceeded": N_(
        "This would cross your tax-free limit for fringe benefits of %(limit_cents)s in "
        "%(year)s: %(room_cents)s left this year, and this costs %(price)s."),
    "not_enough_credit": N_("Not enough credit: this costs %(price)s and you have "
                            "%(available_cents)s for it."),
    "insufficient_funds": N_("Not enough credit: this costs %(price)s."),
    "category_not_in_plan": N_("None of your plans covers this category, so it cannot be "
                               "bought with your credit."),
    "not_found": N_("This offer is no longer available."),
    "idempotency_conflict": N_("Reload the page and try again."),
}
# What a refused refund says beside the fields of our form.
REFUND_TEXTS = {
    "beneficiary_not_in_family": N_("This must be your own tax code or that of a dependent "
                                    "child you declared to HR."),
    "not_reimbursable_in_cash": N_("This kind of expense cannot be refunded in cash: buy a "
                                   "voucher instead."),
    "category_not_in_plan": N_("None of your plans covers this kind of expense."),
    "spent_in_the_future": N_("The date of payment cannot be in the future."),
    "fringe_limit_exceeded": N_("This would cross your tax-free limit for fringe benefits: "
                                "%(room_cents)s left this year."),
    "not_enough_credit": N_("This is more than the credit you have for it: "
                            "%(available_cents)s."),
    **dict.fromkeys(("plan_not_yours", "plan_not_valid_today", "plan_does_not_cover"), N_(
        "This plan cannot pay for it: it does not cover this kind of expense or is not valid "
        "today. Choose another.")),
}


def purchase_refusal(lang: i18n.Lang, exc: ApiError, offering: dict[str, Any]) -> Errors:
    """Why the wallet would not sell this voucher, in the person's words and language:
    beside the plan chosen when it is about that plan, else as the page's message."""
    price = lang.money(offering.get("price_cents"))
    if "plan_id" in exc.problems:
        return refusals.errors(lang, exc, texts=PURCHASE_TEXTS, summary=False, price=price)
    errors = Errors(lang)
    errors.message = refusals.say(lang, exc, PURCHASE_TEXTS, price=price)
    return errors


def refund_refusal(lang: i18n.Lang, exc: ApiError) -> Errors:
    """The API's answer to a refund request, beside the fields of our form: a rule's
    refusal as itself, a malformed field as the help for that field."""
    errors = Errors(lang)
    for name, problems in exc.problems.items():
        field = REFUND_ALIASES.get(name, name)
        if field not in REFUND_FIELD_HELP:
            continue
        for problem in problems:
            code = problem.get("code", "")
            if code not in REFUND_TEXTS and refusals.is_malformed(code):
                errors.add_text(field, _help(lang, field))
            else:
                errors.add_text(field, refusals.text(lang, code, problem.get("params"),
                                                     REFUND_TEXTS))
    if not errors.fields:
        errors.message = refusals.say(lang, exc, REFUND_TEXTS)
    return errors


def as_paid(offering: dict[str, Any]) -> dict[str, Any]:
    """The offering at the price this employee pays: their network's agreed price when
    there is one (docs/domain.md#agreements-and-prices), the offering's own kept as
    list_price_cents; the page shows it and the purchase expects it."""
    deal = offering.get("network_offer")
    if not deal or "list_price_cents" in offering:
        return offering
    return {**offering, "list_price_cents": offering["price_cents"],
            "price_cents": deal["price_cents"]}


class EmployeePages:
    @page("GET", "/home", roles=EMPLOYEE)
    def employee_home(self, page: Page) -> Response:
        """The credit, what it is worth in salary terms (an estimate: a part that cannot
        answer now leaves the rest of the page), a bonus waiting for a choice."""
        wallet, statement, worth, bonuses = page.api_all(
            ("GET", "/me/wallet"), ("GET", "/me/transactions", {"params": {"limit": 5}}),
            ("GET", "/me/worth"), ("GET", "/me/bonus-offers"), soft=True)
        if wallet is None or statement is None:  # the page's own: say why
            wallet, statement = page.api_all(("GET", "/me/wallet"), (
                "GET", "/me/transactions", {"params": {"limit": 5}}))
        return page.render("employee/home.html", wallet=wallet, worth=worth,
                           open_bonuses=[o for o in (bonuses or {}).get("items", [])
                                         if o["open"]], BANDS=worth_pages.BANDS,
                           movements=statement["items"], plan_names={
                               k: p["name"] for k, p in _plans_by_id(wallet).items()})

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
            errors = refusals.errors(page.lang, exc)
            results = {"items": [], "next_cursor": None}
        template = "employee/_results.html" if page.htmx else "employee/catalogue.html"
        return page.render(template, results=results, query=query, errors=errors,
                           categories=CATEGORIES, tiles=map_tiles())

    @page("GET", "/offerings/<oid>", roles=EMPLOYEE)
    def offering(self, page: Page, oid: str) -> Response:
        return self._offering_page(page, oid)

    def _offering_page(self, page: Page, oid: str, errors: Errors | None = None,
                       status: int = 200, chosen_plan: str = "",
                       offering: dict[str, Any] | None = None,
                       wallet: dict[str, Any] | None = None) -> Response:
        if offering is None or wallet is None:
            offering, wallet = page.api_all(("GET", f"/offerings/{oid}"), ("GET", "/me/wallet"))
        offering = as_paid(offering)
        worth = page.api_all(("GET", "/me/worth", {"params": {
            "amount_cents": offering["price_cents"], "category": offering["category"]}}),
            soft=True)[0]
        plans = [p for p in _current(wallet["plans"]) if offering["category"] in p["categories"]]
        affordable = [p for p in plans if p["balance_cents"] >= offering["price_cents"]]
        fringe = wallet.get("fringe") if offering["category"] == "fringe" else None
        fringe_blocked = bool(fringe and fringe.get("room_cents") is not None
                              and fringe["room_cents"] < offering["price_cents"])
        if fringe_blocked:
            affordable = []
        if chosen_plan not in {p["plan_id"] for p in affordable}:
            chosen_plan = affordable[0]["plan_id"] if affordable else ""
        return page.render("employee/offering.html", status=status, offering=offering,
                           worth=worth, BANDS=worth_pages.BANDS,
                           TREATMENTS=worth_pages.TREATMENTS,
                           plans=plans, affordable=affordable, fringe=fringe, errors=errors,
                           fringe_blocked=fringe_blocked,
                           chosen_plan=chosen_plan,
                           best_balance=max([p["balance_cents"] for p in plans] or [0]))

    @page("POST", "/offerings/<oid>/buy", roles=EMPLOYEE)
    def buy(self, page: Page, oid: str) -> Response:
        """One Idempotency-Key per rendered form: a double tap buys once."""
        key = page.form.get("idempotency_key", "")
        plan_id = page.form.get("plan_id") or None
        if not key:
            return self._offering_page(page, oid, status=400, errors=Errors(
                page.lang, message=page.lang.gettext("Reload the page and try again.")))
        try:
            # the price the page showed: never another (a network's price began or ended)
            shown = page.form.get("price_cents", "")
            voucher = page.api("POST", "/me/vouchers", key=key, json={
                "offering_id": oid, "plan_id": plan_id,
                **({"expected_price_cents": int(shown)} if shown.isdigit() else {})})
        except ApiError as exc:
            if exc.status in (400, 404, 409, 422) or exc.code in LEFT_THE_COMPANY:
                offering, wallet = page.api_all(("GET", f"/offerings/{oid}"),
                                                ("GET", "/me/wallet"))
                offering = as_paid(offering)
                errors = (refusals.errors(page.lang, exc, summary=True)
                          if exc.code in LEFT_THE_COMPANY else
                          purchase_refusal(page.lang, exc, offering))
                return self._offering_page(
                    page, oid, status=exc.status, chosen_plan=plan_id or "",
                    offering=offering, wallet=wallet, errors=errors)
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
        for v in items:
            v["valid_until"] = last_valid_day(v.get("expires_at"))
        groups = {state: [v for v in items if v["status"] == state]
                  for state in views.VOUCHER_STATES}
        return page.render("employee/vouchers.html", groups=groups)

    @page("GET", "/vouchers/<vid>", roles=EMPLOYEE)
    def voucher(self, page: Page, vid: str) -> Response:
        voucher = page.api("GET", f"/me/vouchers/{vid}")
        voucher["valid_until"] = last_valid_day(voucher.get("expires_at"))
        offering = None
        if voucher.get("offering_id"):
            try:  # where to use it: a nicety, never a reason to hide the voucher
                offering = page.api("GET", f"/offerings/{voucher['offering_id']}")
            except ApiError:
                offering = None
        # the signed text while issued (a provider's phone checks it with no network:
        # docs/offline.md), else the code
        qr = views.qr_svg(voucher.get("signed") or voucher["code"],
                          page.lang.gettext("QR code of voucher %(code)s",
                                            code=voucher["code"]))
        return page.render("employee/voucher.html", voucher=voucher, qr=qr, offering=offering,
                           VOUCHER_STATE=VOUCHER_STATE,
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

    # -- statement --------------------------------------------------------------------------
    @page("GET", "/statement", roles=EMPLOYEE)
    def statement(self, page: Page) -> Response:
        """Movements, newest first, a page at a time; htmx appends the next page."""
        cursor = _cursor(page.request.args.get("cursor"))
        year = date.today().year
        calls: list[Any] = [("GET", "/me/wallet"), (
            "GET", "/me/transactions", {"params": {"limit": PAGE_SIZE, "cursor": cursor}})]
        if not cursor:  # the first page says what the year's credit is worth (an estimate)
            calls.append(("GET", "/me/worth/summary", {"params": {"year": year}}))
        found = page.api_all(*calls, soft=True)
        wallet, chunk, summary = found[0], found[1], found[2] if not cursor else None
        if wallet is None or chunk is None:  # the page's own: say why
            wallet, chunk = page.api_all(("GET", "/me/wallet"), (
                "GET", "/me/transactions", {"params": {"limit": PAGE_SIZE, "cursor": cursor}}))
        context = {"movements": chunk["items"], "next_cursor": chunk.get("next_cursor"),
                   "plan_names": {k: p["name"] for k, p in _plans_by_id(wallet).items()},
                   "older": bool(cursor)}
        if page.htmx and cursor:
            return page.render("employee/_statement_page.html", **context)
        return page.render("employee/statement.html", wallet=wallet, year=year, summary=summary,
                           BANDS=worth_pages.BANDS, **context)

    @page("GET", "/statement.csv", roles=EMPLOYEE)
    def statement_csv(self, page: Page) -> Response:
        """Every movement as a file, to keep (after leaving too, while access lasts)."""
        answer = page.api("GET", "/me/statement.csv", raw=True)
        return page.finish(Response(answer.content, mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="wecare-movements.csv"',
            "Cache-Control": "private, no-store"}))

    # -- refunds --------------------------------------------------------------------------
    @page("GET", "/reimbursements", roles=EMPLOYEE)
    def reimbursements(self, page: Page) -> Response:
        cursor = _cursor(page.request.args.get("cursor"))
        chunk = page.api("GET", "/me/reimbursements", params={"limit": PAGE_SIZE,
                                                              "cursor": cursor})
        sent = page.request.args.get("sent")
        return page.render("employee/reimbursements.html", items=chunk["items"],
                           next_cursor=chunk.get("next_cursor"), older=bool(cursor),
                           sent=next((r for r in chunk["items"] if r["id"] == sent), None),
                           REFUND_STATES=REFUND_STATES)

    @page("GET", "/reimbursements/new", roles=EMPLOYEE)
    def reimbursement_form(self, page: Page) -> Response:
        wallet, previous = page.api_all(("GET", "/me/wallet"), (
            "GET", "/me/reimbursements", {"params": {"limit": 1}}))
        previous = previous["items"]
        values = {"category": page.request.args.get("category", ""),
                  "beneficiary_fiscal_code": previous[0]["beneficiary_fiscal_code"]
                  if previous else ""}
        return self._refund_form(page, wallet, values)

    def _refund_form(self, page: Page, wallet: dict[str, Any], values: dict[str, str],
                     errors: Errors | None = None, status: int = 200,
                     key: str | None = None) -> Response:
        plans = [p for p in _current(wallet["plans"])
                 if set(REFUNDABLE) & set(p["categories"])]
        values = {**dict.fromkeys(REFUND_FIELDS, ""), **values}
        return page.render("employee/reimbursement_form.html", status=status, values=values,
                           errors=errors, plans=plans, key=key or uuid.uuid4().hex,
                           REFUNDABLE=REFUNDABLE, max_bytes=MAX_RECEIPT_BYTES,
                           REFUNDABLE_NAMES=REFUNDABLE_NAMES, today=date.today().isoformat())

    @page("POST", "/reimbursements/new", roles=EMPLOYEE)
    def request_reimbursement(self, page: Page) -> Response:
        _ = page.lang.gettext
        form = page.form
        values = {name: form.get(name, "").strip() for name in REFUND_FIELDS}
        key = form.get("idempotency_key", "")
        errors = Errors(page.lang)
        cents = i18n.parse_amount(values["amount"])
        if not values["amount"]:
            errors.add("amount", _("Enter the amount you paid."))
        elif cents is None:
            errors.add("amount", _help(page.lang, "amount"))
        elif cents == 0:
            errors.add("amount", _("The amount must be more than zero."))
        if values["category"] not in REFUNDABLE:
            errors.add("category", _help(page.lang, "category"))
        try:
            spent_on = date.fromisoformat(values["spent_on"])
        except ValueError:
            errors.add("spent_on", _help(page.lang, "spent_on"))
        else:
            if spent_on > date.today():
                errors.add("spent_on", _("The date of payment cannot be in the future."))
        for name, wanted in (("provider_tax_id", _("Enter the provider's VAT number or tax "
                                                   "code, as on the receipt.")),
                             ("beneficiary_fiscal_code", _("Enter the tax code of the person "
                                                           "who used the service."))):
            values[name] = values[name].replace(" ", "").upper()
            if not values[name]:
                errors.add(name, wanted)
        receipt = None
        for part in ("receipt", "receipt_photo"):
            chosen = page.request.files.get(part)
            if chosen is not None and chosen.filename:
                receipt = chosen
                break
        content, mimetype = b"", None
        if receipt is None:
            errors.add("receipt", _("Take a photo of the receipt or choose its file."))
        else:
            content = receipt.stream.read(MAX_RECEIPT_BYTES + 1)
            mimetype = receipt_type(content)
            if len(content) > MAX_RECEIPT_BYTES:
                errors.add("receipt", _("The receipt is larger than 5 MB: take the photo again "
                                        "at a lower resolution, or choose a smaller file."))
            elif mimetype is None:
                errors.add("receipt", _("This file is not a PDF, JPEG or PNG: take a photo of "
                                        "the receipt or choose another file."))
        if not key:
            errors.message = _("Reload the page and try again.")
        if not errors and receipt is not None:
            try:
                reimbursement = page.api(
                    "POST", "/me/reimbursements", key=key,
                    data={"amount_cents": str(cents), "category": values["category"],
                          "spent_on": values["spent_on"],
                          "provider_tax_id": values["provider_tax_id"],
                          "beneficiary_fiscal_code": values["beneficiary_fiscal_code"],
                          **({"plan_id": values["plan_id"]} if values["plan_id"] else {})},
                    files={"receipt": (receipt.filename or "receipt",
                                       content, mimetype)})
            except ApiError as exc:
                if exc.status >= 500 or exc.status in (401, 403):
                    raise
                errors = refund_refusal(page.lang, exc)
                key = ""  # the API answered: a new request needs a new key
            else:
                return page.redirect(f"/reimbursements?sent={reimbursement['id']}")
        wallet = page.api("GET", "/me/wallet")
        return self._refund_form(page, wallet, values, errors=errors, status=400,
                                 key=key or None)

    # -- proposals ------------------------------------------------------------------------
    @page("GET", "/propose", roles=EMPLOYEE)
    def propose_form(self, page: Page) -> Response:
        return self._propose_page(page, {}, sent=page.request.args.get("sent") == "1")

    def _propose_page(self, page: Page, values: dict[str, str], errors: Errors | None = None,
                      status: int = 200, sent: bool = False) -> Response:
        proposals = page.api("GET", "/me/provider-proposals")["items"]
        return page.render("employee/propose.html", status=status, values=values,
                           errors=errors, proposals=proposals, sent=sent,
                           categories=CATEGORIES, STEPS=PROPOSAL_STEPS,
                           PROPOSAL_STATES=PROPOSAL_STATES)

    @page("POST", "/propose", roles=EMPLOYEE)
    def propose(self, page: Page) -> Response:
        _ = page.lang.gettext
        values = {name: page.form.get(name, "").strip()
                  for name in ("name", "city", "email", "category")}
        errors = Errors(page.lang)
        if not values["name"]:
            errors.add("name", _("Enter the provider's name."))
        if not values["city"]:
            errors.add("city", _("Enter the town or city where the provider is."))
        if "@" not in values["email"]:
            errors.add("email", _("Enter the provider's email address, like "
                                  "info@example.com."))
        if values["category"] not in CATEGORIES:
            errors.add("category", _("Choose what the provider offers."))
        if not errors:
            try:
                page.api("POST", "/me/provider-proposals", json=values)
            except ApiError as exc:
                if exc.code == "too_many_proposals":  # a few a day (the gateway's limit)
                    return self._propose_page(page, values, status=429,
                                              errors=refusals.errors(page.lang, exc))
                if exc.status != 400:
                    raise
                errors = refusals.errors(page.lang, exc)
                if "email" in exc.problems:
                    errors.fields["email"] = [_("Enter the provider's email address, like "
                                                "info@example.com.")]
            else:
                return page.redirect("/propose?sent=1")
        return self._propose_page(page, values, errors=errors, status=400)

    # -- notifications --------------------------------------------------------------------
    @page("GET", "/notifications", roles=EMPLOYEE)
    def notifications(self, page: Page) -> Response:
        return self._notifications_page(page)

    def _notifications_page(self, page: Page, errors: Errors | None = None,
                            status: int = 200, values: dict[str, Any] | None = None
                            ) -> Response:
        cursor = _cursor(page.request.args.get("cursor"))
        feed = page.api("GET", "/me/notifications", params={"limit": FEED_SIZE,
                                                            "cursor": cursor})
        try:
            preferences = page.api("GET", "/me/notification-preferences")
        except ApiError as exc:
            if exc.status != 404:
                raise
            preferences = None  # none yet: the notifications service has not met this person
        return page.render("employee/notifications.html", status=status, feed=feed["items"],
                           next_cursor=feed.get("next_cursor"), older=bool(cursor),
                           preferences=values or preferences, has_preferences=bool(preferences),
                           errors=errors, saved=page.request.args.get("saved") == "1",
                           marked=page.request.args.get("read"))

    @page("POST", "/notifications/<nid>/read", roles=EMPLOYEE)
    def mark_read(self, page: Page, nid: str) -> Response:
        try:
            page.api("POST", f"/me/notifications/{nid}/read")
        except ApiError as exc:
            if exc.status != 404:
                raise
        return page.redirect("/notifications?read=1#feed")

    @page("POST", "/notifications/read-all", roles=EMPLOYEE)
    def mark_all_read(self, page: Page) -> Response:
        feed = page.api("GET", "/me/notifications", params={"limit": 100})["items"]
        unread = [("POST", f"/me/notifications/{n['id']}/read") for n in feed
                  if not n.get("read_at")]
        if unread:
            page.api_all(*unread)
        return page.redirect("/notifications?read=all#feed")

    @page("POST", "/notifications/preferences", roles=EMPLOYEE)
    def save_preferences(self, page: Page) -> Response:
        _ = page.lang.gettext
        language = page.form.get("language", "")
        values = {"language": language,
                  "non_essential_email": page.form.get("non_essential_email") == "on"}
        errors = Errors(page.lang)
        if language not in i18n.LANGUAGES:
            errors.add("language", _("Choose the language of your emails."))
        else:
            try:
                page.api("PUT", "/me/notification-preferences", json=values)
            except ApiError as exc:
                if exc.status not in (400, 404):
                    raise
                errors = refusals.errors(page.lang, exc)
                if exc.status == 404:
                    errors = Errors(page.lang, message=_(
                        "Your preferences cannot be saved yet: try again in a minute."))
            else:
                return page.redirect("/notifications?saved=1#preferences")
        return self._notifications_page(page, errors=errors, status=400, values=values)

    # -- more -----------------------------------------------------------------------------
    @page("GET", "/more", roles=EMPLOYEE)
    def more(self, page: Page) -> Response:
        try:
            feed = page.api("GET", "/me/notifications", params={"limit": PAGE_SIZE})
            unread: int | str = sum(1 for n in feed["items"] if not n.get("read_at"))
            if unread == PAGE_SIZE and feed.get("next_cursor"):
                unread = f"{PAGE_SIZE}+"
        except ApiError:
            unread = 0  # the menu works without the count
        return page.render("employee/more.html", unread=unread)
