"""Money in: the company fund's top-ups, by bank transfer or by card and SEPA Direct
Debit through Stripe, each followed until the money arrives."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from web import i18n
from web.client import ApiError
from web.pages.hr import HR, refused
from web.routing import Page, page
from web.views import N_, Errors

TOPUP_STATES = {"pending": N_("Waiting for the transfer"), "succeeded": N_("Received"),
                "failed": N_("Failed")}
CARD_STATES = {"pending": N_("Waiting for the payment"), "succeeded": N_("Received"),
               "failed": N_("Payment failed")}
NO_CARD: dict[str, Any] = {"bank_transfer": True, "card_available": False,
                           "stripe_publishable_key": None, "card_methods": []}


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
        return None, refused(page.lang, exc, {"amount_cents": field, "method": field}), typed
    return topup, errors, typed


class HrFundingPages:
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
