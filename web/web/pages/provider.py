"""The provider's pages, on a phone at the counter: is this voucher good (redeem),
what am I owed (home, payments), what do I offer (offerings); and the public
application to join the circuit."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_time
from babel.numbers import format_percent
from wecare_common.contract import catalog, passwords, periods
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from web import i18n, refusals
from web.client import ApiError
from web.routing import Page, page
from web.views import N_, Errors, category_name

PROVIDER = ("provider",)
# what a provider can be paid for with a voucher (health funds and pensions are paid
# to the funds, not through the circuit)
CATEGORIES = ("education", "family_care", "wellbeing", "transport", "fringe")
DELIVERY = {"on_site": N_("At your premises"), "at_home": N_("At the customer's home"),
            "online": N_("Online")}
STATUS = {
    "pending": (N_("Waiting for approval"),
                N_("The WeCare operator is checking your application. You can already "
                   "prepare your offerings: employees will find them once you are "
                   "approved, and we will write to you by email.")),
    "approved": (N_("In the circuit"),
                 N_("You are in the WeCare circuit: employees can buy your offerings, and "
                    "you redeem their vouchers here.")),
    "suspended": (N_("Suspended for now"),
                  N_("Your agreement is suspended: employees cannot buy your offerings and "
                     "you cannot redeem vouchers for now. What you redeemed before is still "
                     "paid. Write to the WeCare operator to know why and what to do.")),
}

# A refusal's code about a field, as what a provider can do about it there.
FIELD_TEXTS: dict[tuple[str, str], str] = {
    ("vat_number", "not_a_vat_number"): N_("This partita IVA is not valid: check its 11 digits."),
    ("vat_number", "provider_already_applied"):
        N_("A provider with this partita IVA has already applied."),
    ("iban", "not_an_iban"): N_("This IBAN is not valid: copy it again from your bank statement."),
    ("email", "email_taken"):
        N_("This email address already has an account: sign in, or use another one."),
    ("email", "not_an_email"): N_("Enter an email address like name@example.com."),
    ("province", "not_a_province"): N_("Enter the province as 2 letters, like TO."),
    ("password", "password_length"): N_("Use at least 10 characters."),
    ("valid_until", "ends_before_start"): N_("The last day cannot come before the first day."),
    ("offering_id", "offering_withdrawn"): N_("This offering is withdrawn: it cannot change."),
}
# any problem of these fields
FIELD_ANY: dict[str, str] = {
    "category": N_("Your agreement does not cover this category."),
    "categories": N_("Choose at least one category."),
    "lat": N_("Enter a latitude between -90 and 90, like 45.0686."),
    "lon": N_("Enter a longitude between -180 and 180, like 7.6934."),
    "price_cents": N_("Enter the price in euros, like 45,00."),
}
GENERIC: dict[str, str] = {
    "required": N_("This is required."),
    "null": N_("This is required."),
    "not_a_string": N_("This is required."),
    "not_a_number": N_("Enter a number."),
    "not_a_date": N_("Enter a date."),
}


EMPTY_STATEMENT: dict[str, Any] = {
    "payable_cents": 0, "commission_bps": None, "unsettled_vouchers": 0, "payouts": [],
    "next_cursor": None, "redemptions": [], "redemptions_next_cursor": None,
    "redeemed_since": None}


def api_errors(lang: i18n.Lang, exc: ApiError) -> Errors:
    """An API refusal as a form's errors: each field's problem as a person can act on it."""
    errors = Errors(lang)
    for name, problems in exc.problems.items():
        for problem in problems:
            code = problem.get("code", "")
            own = FIELD_TEXTS.get((name, code)) or FIELD_ANY.get(name)
            errors.add_text(name, lang.gettext(own) if own else refusals.text(
                lang, code, problem.get("params"), GENERIC))
    if not errors.fields:
        errors.message = refusals.say(lang, exc)
    return errors


# -- reading forms -------------------------------------------------------------------------
def parse_coordinate(text: str | None, limit: float) -> float | None:
    """A latitude or longitude as typed ("45,0686" or "45.0686"); None if it is not one."""
    cleaned = (text or "").strip().replace(",", ".").replace("°", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


def parse_day(text: str | None) -> tuple[date | None, bool]:
    """(day, ok): an empty field is (None, True); a date as <input type=date> sends it,
    or as people write it in Italy (31/12/2026)."""
    text = (text or "").strip()
    if not text:
        return None, True
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date(), True
        except ValueError:
            continue
    return None, False


def application_from(form: MultiDict, lang: i18n.Lang) -> tuple[dict[str, Any], Errors]:
    """The application form → the API's body, and what is missing or wrong."""
    _ = lang.gettext
    errors = Errors(lang)
    text = {name: form.get(name, "").strip() for name in (
        "name", "vat_number", "address", "city", "province", "lat", "lon", "email", "iban")}
    categories = [c for c in form.getlist("categories") if c in CATEGORIES]
    body: dict[str, Any] = {
        "name": text["name"], "vat_number": text["vat_number"].replace(" ", ""),
        "categories": categories, "address": text["address"], "city": text["city"],
        "province": text["province"].upper(), "email": text["email"],
        "password": form.get("password", ""), "iban": text["iban"].replace(" ", "").upper(),
        # the language the form was shown in: the applicant's emails are written in it
        "language": (form.get("language") if form.get("language") in i18n.LANGUAGES
                     else lang.code),
    }
    if not body["name"]:
        errors.add("name", _("Enter the name people know you by."))
    vat = body["vat_number"].upper().removeprefix("IT")
    if not vat:
        errors.add("vat_number", _("Enter your partita IVA."))
    elif refusals.refused_by_contract(catalog.ProviderApplication, "vat_number", vat):
        # its check digit too, said as the page says the API's refusal of it
        errors.add("vat_number", _(FIELD_TEXTS[("vat_number", "not_a_vat_number")]))
    body["vat_number"] = vat
    if not categories:
        errors.add("categories", _("Choose at least one category."))
    if not body["address"]:
        errors.add("address", _("Enter the street and number."))
    if refusals.refused_by_contract(catalog.ProviderApplication, "province",
                                    body["province"]):
        errors.add("province", _("Enter the province as 2 letters, like TO."))
    lat, lon = parse_coordinate(text["lat"], 90), parse_coordinate(text["lon"], 180)
    if not text["lat"] and not text["lon"]:
        errors.add("lat", _("Enter where you are, or press “Use my position”."))
    else:
        if lat is None:
            errors.add("lat", _("Enter a latitude between -90 and 90, like 45.0686."))
        if lon is None:
            errors.add("lon", _("Enter a longitude between -180 and 180, like 7.6934."))
    body["lat"], body["lon"] = lat, lon
    if refusals.refused_by_contract(catalog.ProviderApplication, "email", body["email"]):
        errors.add("email", _("Enter an email address like name@example.com."))
    if refusals.refused_by_contract(passwords.NewPassword, "password", body["password"]):
        errors.add("password", _("Use at least 10 characters."))
    if not body["iban"]:
        errors.add("iban", _("Enter the IBAN where WeCare pays you."))
    elif refusals.refused_by_contract(catalog.ProviderApplication, "iban", body["iban"]):
        errors.add("iban", _(FIELD_TEXTS[("iban", "not_an_iban")]))
    return body, errors


def offering_from(form: MultiDict, lang: i18n.Lang, categories: list[str], *,
                  new: bool) -> tuple[dict[str, Any], Errors]:
    """The offering form → the API's body (for a change: without the category)."""
    _ = lang.gettext
    errors = Errors(lang)
    body: dict[str, Any] = {"title": form.get("title", "").strip(),
                            "description": form.get("description", "").strip()}
    if not body["title"]:
        errors.add("title", _("Enter a title, like “Monthly nursery fee”."))
    if new:
        body["category"] = form.get("category", "")
        if body["category"] not in categories:
            errors.add("category", _("Choose a category."))
    price = i18n.parse_amount(form.get("price", ""))
    if not price:
        errors.add("price", _("Enter the price in euros, like 45,00."))
    body["price_cents"] = price
    delivery = form.get("delivery", "on_site")
    if delivery not in DELIVERY:
        errors.add("delivery", _("Choose where the service is given."))
    body["delivery"] = delivery
    for name in ("valid_from", "valid_until"):
        day, ok = parse_day(form.get(name))
        if not ok:
            errors.add(name, _("Enter a date like 31/12/2026, or leave it empty."))
        body[name] = day.isoformat() if day else None
    if out_of_order := periods.out_of_order(body["valid_from"], body["valid_until"]):
        errors.add(periods.FIELD, lang.gettext(FIELD_TEXTS[periods.FIELD, out_of_order.code]))
    return body, errors


def offering_values(offering: dict[str, Any] | None, lang: i18n.Lang) -> dict[str, str]:
    """An offering as its form shows it."""
    if offering is None:
        return {"title": "", "description": "", "category": "", "price": "",
                "delivery": "on_site", "valid_from": "", "valid_until": ""}
    return {"title": offering["title"], "description": offering.get("description") or "",
            "category": offering["category"], "price": lang.amount(offering["price_cents"]),
            "delivery": offering.get("delivery") or "on_site",
            "valid_from": offering.get("valid_from") or "",
            "valid_until": offering.get("valid_until") or ""}


# -- the counter's verdicts ----------------------------------------------------------------
def verdict_of(exc: ApiError) -> dict[str, Any] | None:
    """What the API's refusal of a redemption means at the counter; None when it is
    not about the voucher (the form itself is wrong)."""
    if exc.code == "voucher_already_redeemed":
        return {"kind": "already", "when": exc.params.get("redeemed_at") or ""}
    if exc.code == "voucher_expired":
        return {"kind": "expired"}
    if exc.code == "voucher_not_active":
        return {"kind": "cancelled" if exc.params.get("status") == "cancelled" else "void"}
    if exc.code == "voucher_for_another_provider":
        return {"kind": "not_yours"}
    if exc.code in ("voucher_signature_invalid", "voucher_key_expired"):  # a scanned QR
        return {"kind": "forged" if exc.code == "voucher_signature_invalid" else "old_qr"}
    if exc.code == "provider_not_in_circuit":
        return {"kind": "suspended"}
    if exc.status == 404:
        return {"kind": "unknown"}
    if exc.code == "rate_limited":
        seconds = exc.params.get("retry_after")
        seconds = seconds if isinstance(seconds, int) else 600
        return {"kind": "too_many", "minutes": max(1, math.ceil(seconds / 60))}
    return None


# -- the counter with no network (docs/offline.md, static/js/offline.js) --------------------
# what the phone queued: the Idempotency-Key it made, the QR's signed text, when it
# accepted it (by its clock set right with the server's) and which phone it is
OFFLINE_ITEM = ("key", "qr", "accepted_at", "device")
# the limits the phone keeps (GET /me's offline_limits): cents, cents, hours
LIMITS = ("voucher_cents", "waiting_cents", "hours")


def json_answer(page: Page, data: Any, status: int = 200) -> Response:
    return page.finish(Response(json.dumps(data), status=status, mimetype="application/json",
                                headers={"Cache-Control": "no-store"}))


def limits_of(me: dict[str, Any] | None) -> dict[str, int] | None:
    """The provider's offline limits as the phone keeps them; None when the API did not
    say (the phone then accepts nothing offline: it cannot know how far it may go)."""
    me = me or {}
    provider = me.get("provider") or {}
    limits = me.get("offline_limits") or provider.get("offline_limits")
    if not isinstance(limits, dict) or not all(
            type(limits.get(name)) is int and limits[name] >= 0 for name in LIMITS):
        return None
    if provider.get("status", "approved") != "approved":  # pending or suspended: nothing
        return dict.fromkeys(LIMITS, 0)
    return {name: limits[name] for name in LIMITS}


def offline_body(item: dict[str, str]) -> dict[str, Any]:
    """A queued redemption as the API's offline body: the signed text as it was
    scanned, when it was accepted, and by which phone."""
    return {"items": [{"signed": item["qr"], "accepted_at": item["accepted_at"],
                       "device_id": item["device"]}]}


def offline_outcome(lang: i18n.Lang, answer: Any) -> dict[str, Any]:
    """The API's answer for one offline redemption → what the phone does with it:
    recorded (paid with the next settlement), already (this provider had redeemed it:
    paid once, said so) or refused (said why); retry when the answer is not one of those."""
    items = answer.get("items") if isinstance(answer, dict) else None
    one = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    outcome = one.get("outcome")
    if outcome == "recorded":
        return {"outcome": "recorded"}
    if outcome == "already_redeemed_by_you":
        return {"outcome": "already", "message": lang.gettext(
            "You had already redeemed it on %(when)s, online or on another phone: it is "
            "paid once.", when=lang.datetime(one.get("redeemed_at")))}
    refusal = one.get("refusal")
    if outcome == "refused" and isinstance(refusal, dict):
        code = str(refusal.get("code") or "unexpected_error")
        return {"outcome": "refused", "code": code,
                "message": refusals.text(lang, code, refusal.get("params"))}
    return {"outcome": "retry"}


def percent(lang: i18n.Lang, bps: int | None) -> str:
    if bps is None:
        return ""
    return format_percent(Decimal(bps) / 10_000, format="#,##0.##%",
                          locale=i18n.BABEL_LOCALE[lang.code])


def moment(value: str | None) -> datetime | None:
    """An API timestamp (ISO-8601; UTC when it names no offset)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def clock(lang: i18n.Lang, value: str | None) -> str:
    """The time of day in Italy, e.g. 10:42."""
    when = moment(value)
    return format_time(when, "HH:mm", tzinfo=ZoneInfo(i18n.TIMEZONE),
                       locale=i18n.BABEL_LOCALE[lang.code]) if when else ""


def start_of_today(now: datetime | None = None) -> datetime:
    """Midnight in Italy, where the counter is."""
    zone = ZoneInfo(i18n.TIMEZONE)
    today = (now or datetime.now(zone)).astimezone(zone).date()
    return datetime.combine(today, time.min, tzinfo=zone)


class ProviderPages:
    # -- joining the circuit (public) -------------------------------------------------------
    @page("GET", "/providers/apply")
    def provider_apply_form(self, page: Page) -> Response:
        return page.render("provider/apply.html", values={}, chosen=[],
                           categories=CATEGORIES)

    @page("POST", "/providers/apply")
    def provider_apply(self, page: Page) -> Response:
        body, errors = application_from(page.form, page.lang)
        if not errors:
            try:  # the same answer whether or not the email is known: it goes there
                page.api_anonymous("POST", "/providers", json=body)
            except ApiError as exc:
                if exc.status == 429:  # a few applications an hour from one address
                    errors = refusals.errors(page.lang, exc)
                elif exc.status not in (400, 409, 422):
                    raise
                else:
                    errors = api_errors(page.lang, exc)
            else:
                return page.redirect("/providers/apply/done")
        values = {k: v for k, v in page.form.items() if k != "password"}
        return page.render("provider/apply.html", status=400, errors=errors, values=values,
                           chosen=page.form.getlist("categories"), categories=CATEGORIES)

    @page("GET", "/providers/apply/done")
    def provider_applied(self, page: Page) -> Response:
        return page.render("provider/applied.html")

    @page("GET", "/providers/apply/confirm")
    def provider_confirm_form(self, page: Page) -> Response:
        """The emailed link opens this page; only its button confirms (a mail scanner
        that opens links confirms nothing)."""
        return page.render("provider/confirm.html", token=page.request.args.get("token", ""))

    @page("POST", "/providers/apply/confirm")
    def provider_confirm(self, page: Page) -> Response:
        _ = page.lang.gettext
        token = page.form.get("token", "")
        try:
            tokens = page.api_anonymous("POST", "/providers/confirmation",
                                        json={"token": token})
        except ApiError as exc:
            if exc.status >= 500:
                raise
            errors = refusals.errors(page.lang, exc)
            if "token" in exc.problems or exc.status in (401, 404):
                errors = Errors(page.lang)
                errors.message = _("This link has expired or was already used. If your "
                                   "application lapsed, apply again.")
            return page.render("provider/confirm.html", status=400, errors=errors,
                               token=token)
        page.sign_in(tokens)
        return page.redirect("/provider")

    # -- home -------------------------------------------------------------------------------
    def _me(self, page: Page) -> dict[str, Any]:
        return page.api("GET", "/me").get("provider") or {}

    def _me_and_statement(self, page: Page, **params: Any
                          ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Who the provider is, and its statement (empty until the operator's approval
        opens its account), asked at once."""
        try:
            me, statement = page.api_all(
                ("GET", "/me"),
                ("GET", f"/providers/{page.provider_id}/settlements", {"params": params}))
        except ApiError as exc:
            if exc.status != 404:
                raise
            return self._me(page), dict(EMPTY_STATEMENT)
        return me.get("provider") or {}, statement

    @page("GET", "/provider", roles=PROVIDER)
    def provider_home(self, page: Page) -> Response:
        since = start_of_today()
        provider, statement = self._me_and_statement(page, since=since.isoformat(), limit=20)
        today = [r for r in statement.get("redemptions", [])
                 if (moment(r.get("redeemed_at")) or since) >= since]
        summary = statement.get("redeemed_since") or {"count": 0, "amount_cents": 0}
        return page.render("provider/home.html", provider=provider, statement=statement,
                           today=today, summary=summary, states=STATUS,
                           time=lambda value: clock(page.lang, value),
                           commission=percent(page.lang, provider.get("commission_bps")))

    # -- redeem -------------------------------------------------------------------------------
    @page("GET", "/provider/redeem", roles=PROVIDER)
    def provider_redeem_form(self, page: Page) -> Response:
        provider = self._me(page)
        return page.render("provider/redeem.html", provider=provider, code="",
                           verdict=None, voucher=None)

    @page("POST", "/provider/redeem", roles=PROVIDER)
    def provider_redeem(self, page: Page) -> Response:
        """One Idempotency-Key per rendered form: a double tap redeems once, and a
        reload shows the same answer again."""
        _ = page.lang.gettext
        code = " ".join(page.form.get("code", "").split())
        key = page.form.get("idempotency_key", "") or uuid.uuid4().hex
        errors = Errors(page.lang)
        if not code:
            errors.add("code", _("Enter the code written under the QR code."))
        elif len(code) > (400 if code.startswith("WC1.") else 40):  # a scanned signed QR
            errors.add("code", _("This is too long for a voucher code: check it."))
        if errors:
            return page.render("provider/redeem.html", status=400, errors=errors, code=code,
                               provider={}, verdict=None, voucher=None)
        path = f"/providers/{page.provider_id}/redemptions"
        try:
            try:
                voucher = page.api("POST", path, key=key, json={"code": code})
            except ApiError as exc:
                if exc.code not in ("request_in_progress", "idempotency_conflict"):
                    raise
                if exc.code == "request_in_progress":  # the same request, still running
                    errors.message = _("The previous try is still running. Wait a moment "
                                       "and press Redeem again.")
                    return page.render("provider/redeem.html", status=409, errors=errors,
                                       code=code, provider={}, verdict=None, voucher=None)
                # this form was sent before with another code (the back button): a new
                # request, so a new key
                voucher = page.api("POST", path, key=uuid.uuid4().hex, json={"code": code})
        except ApiError as exc:
            verdict = verdict_of(exc)
            if verdict is None:
                if exc.status not in (400, 422):
                    raise
                return page.render("provider/redeem.html", status=400, code=code, provider={},
                                   errors=api_errors(page.lang, exc), verdict=None,
                                   voucher=None)
            return page.render("provider/redeem.html", status=exc.status, code=code,
                               provider={}, verdict=verdict, voucher=None)
        return page.render("provider/redeem.html", code=code, provider={},
                           verdict={"kind": "redeemed"}, voucher=voucher)

    # -- redeem with no network (docs/offline.md) ------------------------------------------
    @page("GET", "/provider/redeem/offline-state", roles=PROVIDER)
    def provider_offline_state(self, page: Page) -> Response:
        """What the phone keeps to check vouchers with no network (static/js/offline.js
        asks whenever it has one): WeCare's public keys, this provider's offline limits,
        and the server's time (the phone's clock may be wrong, and how long it has been
        offline is counted from here)."""
        keys, me = page.api_all(("GET", "/voucher-keys"), ("GET", "/me"), soft=True)
        return json_answer(page, {
            "provider": page.provider_id, "now": datetime.now(UTC).isoformat(),
            "csrf": page.csrf,
            "keys": (keys or {}).get("keys", []), "limits": limits_of(me)})

    @page("POST", "/provider/redeem/offline", roles=PROVIDER)
    def provider_offline_send(self, page: Page) -> Response:
        """One redemption the phone accepted with no network, sent now with the
        Idempotency-Key it was given then (JSON, CSRF token in X-CSRF-Token): the answer
        is recorded, yours (already recorded) or refused with what the refusal says in
        the person's language; `retry` when it is not known yet."""
        item = page.request.get_json(silent=True)
        if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) and item[k] for k in OFFLINE_ITEM):
            return json_answer(page, {"outcome": "refused", "message": page.lang.gettext(
                "This redemption cannot be read: it was not sent.")}, status=400)
        try:
            answer = page.api("POST", "/provider/redemptions/offline", key=item["key"],
                              json=offline_body(item))
        except ApiError as exc:
            # not now (the API or its route not there yet, busy, slow): the same key later
            if exc.status >= 500 or exc.status in (404, 408) or exc.code in (
                    "request_in_progress", "rate_limited"):
                return json_answer(page, {"outcome": "retry"}, status=503)
            return json_answer(page, {"outcome": "refused", "code": exc.code,
                                      "message": refusals.say(page.lang, exc)})
        return json_answer(page, offline_outcome(page.lang, answer))

    # -- offerings --------------------------------------------------------------------------
    def _offerings(self, page: Page) -> list[dict[str, Any]]:
        return page.api("GET", f"/providers/{page.provider_id}/offerings")["items"]

    def _own_offering(self, page: Page, oid: str) -> dict[str, Any]:
        for offering in self._offerings(page):
            if offering["id"] == oid:
                return offering
        raise ApiError(404, "not_found", "no such offering")

    @page("GET", "/provider/offerings", roles=PROVIDER)
    def provider_offerings(self, page: Page) -> Response:
        me, offerings = page.api_all(("GET", "/me"),
                                     ("GET", f"/providers/{page.provider_id}/offerings"))
        provider, items = me.get("provider") or {}, offerings["items"]
        args = page.request.args
        done = next((k for k in ("published", "changed", "withdrawn") if args.get(k)), None)
        changed = next((o for o in items if done and o["id"] == args.get(done)), None)
        return page.render("provider/offerings.html", provider=provider,
                           active=[o for o in items if o["status"] == "active"],
                           withdrawn=[o for o in items if o["status"] != "active"],
                           done=done, changed=changed, delivery=DELIVERY)

    def _offering_form(self, page: Page, *, offering: dict[str, Any] | None,
                       values: dict[str, str], errors: Errors | None = None,
                       status: int = 200) -> Response:
        provider = self._me(page)
        return page.render("provider/offering_form.html", status=status, errors=errors,
                           offering=offering, values=values, delivery=DELIVERY,
                           options=[(c, category_name(page.lang, c))
                                    for c in provider.get("categories", [])])

    @page("GET", "/provider/offerings/new", roles=PROVIDER)
    def provider_offering_new(self, page: Page) -> Response:
        values = offering_values(None, page.lang)
        return self._offering_form(page, offering=None, values=values)

    @page("POST", "/provider/offerings", roles=PROVIDER)
    def provider_offering_publish(self, page: Page) -> Response:
        provider = self._me(page)
        body, errors = offering_from(page.form, page.lang, provider.get("categories", []),
                                     new=True)
        if not errors:
            try:
                offering = page.api("POST", f"/providers/{page.provider_id}/offerings",
                                    json=body)
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = api_errors(page.lang, exc)
            else:
                return page.redirect(f"/provider/offerings?published={offering['id']}")
        return self._offering_form(page, offering=None, values=dict(page.form.items()),
                                   errors=_price_alias(errors), status=400)

    @page("GET", "/provider/offerings/<oid>/edit", roles=PROVIDER)
    def provider_offering_edit(self, page: Page, oid: str) -> Response:
        offering = self._own_offering(page, oid)
        return self._offering_form(page, offering=offering,
                                   values=offering_values(offering, page.lang))

    @page("POST", "/provider/offerings/<oid>", roles=PROVIDER)
    def provider_offering_change(self, page: Page, oid: str) -> Response:
        offering = self._own_offering(page, oid)
        body, errors = offering_from(page.form, page.lang, [], new=False)
        if not errors:
            try:
                page.api("PATCH", f"/providers/{page.provider_id}/offerings/{oid}", json=body)
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = api_errors(page.lang, exc)
            else:
                return page.redirect(f"/provider/offerings?changed={oid}")
        values = {**dict(page.form.items()), "category": offering["category"]}
        return self._offering_form(page, offering=offering, values=values,
                                   errors=_price_alias(errors), status=400)

    @page("GET", "/provider/offerings/<oid>/withdraw", roles=PROVIDER)
    def provider_offering_withdraw_confirm(self, page: Page, oid: str) -> Response:
        """The confirmation, as a page of its own: it works without JavaScript."""
        return page.render("provider/withdraw.html", offering=self._own_offering(page, oid))

    @page("POST", "/provider/offerings/<oid>/withdraw", roles=PROVIDER)
    def provider_offering_withdraw(self, page: Page, oid: str) -> Response:
        try:
            page.api("POST", f"/providers/{page.provider_id}/offerings/{oid}/withdrawal")
        except ApiError as exc:
            if exc.status != 409:  # already withdrawn: what was asked is done
                raise
        return page.redirect(f"/provider/offerings?withdrawn={oid}")

    # -- payments ---------------------------------------------------------------------------
    @page("GET", "/provider/settlements", roles=PROVIDER)
    def provider_settlements(self, page: Page) -> Response:
        args = page.request.args
        provider, statement = self._me_and_statement(
            page, limit=20, cursor=args.get("cursor") or None,
            redemptions_cursor=args.get("redemptions_cursor") or None)
        return page.render("provider/settlements.html", provider=provider,
                           statement=statement,
                           commission=percent(page.lang, provider.get("commission_bps")),
                           older=bool(args.get("cursor") or args.get("redemptions_cursor")))


def _price_alias(errors: Errors) -> Errors:
    """The API names the price `price_cents`; the form's field is `price`."""
    if "price_cents" in errors.fields:
        errors.fields.setdefault("price", []).extend(errors.fields.pop("price_cents"))
    return errors
