"""HR tops the fund up by card or SEPA Direct Debit through Stripe, end to end
through the gateway: the API says card payments are available (with the
publishable key Stripe.js needs), a card top-up gets its PaymentIntent, the
payment is confirmed with Stripe as the page's Stripe.js would (at the local
stand-in, with the publishable key and the client secret), Stripe's signed
webhook credits the fund once; the pages: the payment page alone lets Stripe.js
in, and the funding page follows the top-up to its state."""

from __future__ import annotations

import uuid

import requests
from support.e2e import PUBLISHABLE_KEY, WEBHOOK_SECRET
from support.stripe_standin import payment_event, signed


def _page(stack, path: str, token: str) -> requests.Response:  # type: ignore[no-untyped-def]
    """A page as the signed-in HR manager's browser asks for it (through the gateway)."""
    return requests.get(stack.url + path, cookies={"wecare_at": token}, timeout=30,
                        allow_redirects=False, headers={"Accept-Language": "en"})


def _webhook(stack, event: dict) -> requests.Response:  # type: ignore[no-untyped-def]
    payload, signature = signed(event, WEBHOOK_SECRET)
    return stack.call("POST", "/webhooks/stripe", data=payload,
                      headers_extra={"Stripe-Signature": signature})


def test_hr_pays_by_card_and_stripe_s_webhook_credits_the_fund(stack, company) -> None:
    options = stack.call("GET", f"/companies/{company.id}/funding-options", company.hr)
    assert options.status_code == 200
    assert options.json() == {"bank_transfer": True, "card_available": True,
                              "stripe_publishable_key": PUBLISHABLE_KEY,
                              "card_methods": ["card", "sepa_debit"]}

    r = stack.call("POST", f"/companies/{company.id}/topups", company.hr,
                   key=uuid.uuid4().hex, json={"amount_cents": 120_000, "method": "card"})
    assert r.status_code == 201, r.text
    topup = r.json()
    intent_id = topup["client_secret"].split("_secret_")[0]
    created = stack.stripe.objects[intent_id]
    assert created["amount"] == 120_000 and created["metadata"]["company_id"] == company.id

    # the payment page: Stripe.js, the intent's client secret, Stripe let in by its policy
    page = _page(stack, f"/hr/funding/card/{topup['id']}", company.hr)
    assert page.status_code == 200, page.text[:500]
    assert '<script src="https://js.stripe.com/v3/" defer>' in page.text
    assert f'data-secret="{topup["client_secret"]}"' in page.text
    assert f'data-key="{PUBLISHABLE_KEY}"' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in policy
    assert "connect-src 'self' https://api.stripe.com" in policy
    funding = _page(stack, f"/hr/funding?topup={topup['id']}", company.hr)
    assert "stripe.com" not in funding.headers["Content-Security-Policy"]  # that page only
    assert "Continue to the payment" in funding.text
    assert "Stripe is confirming the payment of €1,200.00" in funding.text

    # what the page's Stripe.js does with the card: confirm with Stripe itself
    confirmed = requests.post(f"{stack.stripe.url}/v1/payment_intents/{intent_id}/confirm",
                              data={"key": PUBLISHABLE_KEY,
                                    "client_secret": topup["client_secret"],
                                    "payment_method_data[type]": "card"}, timeout=10)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded"
    assert stack.call("GET", f"/companies/{company.id}", company.hr).json()[
        "fund_balance_cents"] == 0  # nothing until Stripe says so, signed

    r = _webhook(stack, payment_event("payment_intent.succeeded", confirmed.json()))
    assert r.status_code == 200 and r.json()["outcome"] == "credited"
    assert stack.call("GET", f"/companies/{company.id}", company.hr).json()[
        "fund_balance_cents"] == 120_000
    listed = stack.call("GET", f"/companies/{company.id}/topups", company.hr).json()["items"]
    assert [(t["id"], t["method"], t["status"]) for t in listed] == [
        (topup["id"], "card", "succeeded")]
    state = requests.get(f"{stack.url}/hr/funding/topups/{topup['id']}", timeout=30,
                         cookies={"wecare_at": company.hr},
                         headers={"HX-Request": "true", "Accept-Language": "en"})
    assert "were added to the company fund, which now holds €1,200.00" in state.text
    assert "hx-trigger" not in state.text  # final: the page stops asking
    paid = _page(stack, f"/hr/funding/card/{topup['id']}", company.hr)
    assert paid.status_code == 303  # nothing left to pay


def test_a_declined_payment_leaves_the_top_up_to_pay_again(stack, company) -> None:
    r = stack.call("POST", f"/companies/{company.id}/topups", company.hr,
                   key=uuid.uuid4().hex, json={"amount_cents": 30_000, "method": "card"})
    topup = r.json()
    intent = stack.stripe.objects[topup["client_secret"].split("_secret_")[0]]
    failed = payment_event("payment_intent.payment_failed", intent,
                           status="requires_payment_method",
                           last_payment_error={"message": "Your card was declined."})
    assert _webhook(stack, failed).json()["outcome"] == "failed"
    funding = _page(stack, "/hr/funding", company.hr)
    assert "Payment failed" in funding.text
    assert f'href="/hr/funding/card/{topup["id"]}"' in funding.text  # try again
    retried = payment_event("payment_intent.succeeded", intent, status="succeeded")
    assert _webhook(stack, retried).json()["outcome"] == "credited"
    assert stack.call("GET", f"/companies/{company.id}", company.hr).json()[
        "fund_balance_cents"] == 30_000
