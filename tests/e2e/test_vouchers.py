"""Vouchers through the public API: buy, redeem, cancel, settle; Stripe top-ups
with signed webhooks. Real broker, database, services; Stripe's API is a local
stand-in reached through the official SDK."""

from __future__ import annotations

import time
import uuid
from datetime import date

from support.e2e import WEBHOOK_SECRET, approved_provider, buy, funded_employee
from support.stripe_standin import payment_event, signed


def test_buy_redeem_and_settle_a_voucher(stack, admin, company, fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=12_345, commission_bps=300)
    employee, token, plan = funded_employee(stack, admin, company, fake, 20_000)

    r = buy(stack, token, provider.offering_id, key="buy-1")
    assert r.status_code == 201, r.text
    voucher = r.json()
    assert voucher["amount_cents"] == 12_345 and voucher["status"] == "issued"
    assert voucher["plan_id"] == plan["id"]
    qr = stack.call("GET", f"/me/vouchers/{voucher['id']}/qr.png", token)
    assert qr.headers["Content-Type"] == "image/png" and qr.content[:4] == b"\x89PNG"
    body, check = voucher["code"].rsplit("-", 1)
    assert len(body.replace("-", "")) == 16 and len(check) == 1
    assert buy(stack, token, provider.offering_id, key="buy-1").json()["id"] == voucher["id"]

    wallet = stack.call("GET", "/me/wallet", token).json()
    assert wallet["total_cents"] == 20_000 - 12_345

    other = approved_provider(stack, admin, fake)
    r = stack.call("POST", f"/providers/{other.id}/redemptions", other.token, key="r-0",
                   json={"code": voucher["code"]})
    assert r.status_code == 403  # a real voucher, for another provider: "not yours"
    assert r.json()["error"]["code"] == "voucher_for_another_provider"
    assert set(r.json()["error"]["problems"]) == {"code"}
    r = stack.call("POST", f"/providers/{provider.id}/redemptions", other.token, key="r-0",
                   json={"code": voucher["code"]})
    assert r.status_code == 404  # another provider's door

    typed = voucher["code"].lower().replace("-", " ")  # read aloud, typed loosely
    r = stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
                   key="r-1", json={"code": typed})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "redeemed"
    again = stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
                       key="r-2", json={"code": voucher["code"]})
    assert again.status_code == 409
    error = again.json()["error"]  # the counter can say when it was redeemed
    assert error["code"] == "voucher_already_redeemed"
    assert error["params"] == {"redeemed_at": r.json()["redeemed_at"]}
    unknown = stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
                         key="r-3", json={"code": "0000-0000-0000-0000-0"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "voucher_unknown"
    assert set(unknown.json()["error"]["problems"]) == {"code"}
    mine = stack.call("GET", f"/me/vouchers/{voucher['id']}", token).json()
    assert mine["status"] == "redeemed" and mine["redeemed_at"] == r.json()["redeemed_at"]

    commission = 12_345 * 300 // 10_000
    statement = stack.call("GET", f"/providers/{provider.id}/settlements",
                           provider.token).json()
    assert statement["payable_cents"] == 12_345 - commission
    assert statement["commission_bps"] == 300 and statement["unsettled_vouchers"] == 1
    (line,) = statement["redemptions"]  # each voucher with the commission on it
    assert line["voucher_id"] == voucher["id"] and line["commission_cents"] == commission
    assert line["net_cents"] == 12_345 - commission and line["settled_at"] is None
    today = stack.call("GET", f"/providers/{provider.id}/settlements", provider.token,
                       params={"since": r.json()["redeemed_at"]}).json()["redeemed_since"]
    assert today["count"] == 1 and today["amount_cents"] == 12_345

    run = stack.call("POST", "/settlements", admin, key=f"run-{uuid.uuid4()}")
    assert run.status_code == 201, run.text
    mine = [p for p in run.json()["payouts"] if p["provider_id"] == provider.id]
    assert mine and mine[0]["amount_cents"] == 12_345 - commission
    assert mine[0]["commission_cents"] == commission and mine[0]["method"] == "sepa"
    assert "pain.001" in run.json()["sepa_xml"] and mine[0]["reference"] in run.json()["sepa_xml"]
    rerun = stack.call("POST", "/settlements", admin, key=f"run-{uuid.uuid4()}")
    assert [p for p in rerun.json()["payouts"] if p["provider_id"] == provider.id] == []
    after = stack.call("GET", f"/providers/{provider.id}/settlements", provider.token).json()
    assert after["payable_cents"] == 0 and len(after["payouts"]) == 1

    assert stack.call("GET", "/ledger/audit", admin).json()["balanced"] is True


def test_a_provider_with_a_connected_account_is_paid_through_stripe(stack, admin, company,
                                                                     fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=5_000, commission_bps=0,
                                 stripe_account_id="acct_" + uuid.uuid4().hex[:12])
    _, token, _ = funded_employee(stack, admin, company, fake, 5_000)
    voucher = buy(stack, token, provider.offering_id).json()
    stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token, key="x",
               json={"code": voucher["code"]})
    run = stack.call("POST", "/settlements", admin, key=f"run-{uuid.uuid4()}").json()
    (payout,) = [p for p in run["payouts"] if p["provider_id"] == provider.id]
    assert payout["method"] == "stripe" and payout["amount_cents"] == 5_000
    transfer = stack.stripe.objects[payout["reference"]]
    assert transfer["amount"] == 5_000 and transfer["destination"].startswith("acct_")


def test_cancel_returns_the_credit_once(stack, admin, company, fake) -> None:
    # no offline acceptance: the cancellation takes effect at once (docs/offline.md;
    # tests/e2e/test_offline.py: one that waits for the window)
    provider = approved_provider(stack, admin, fake, price_cents=3_000, offline_hours=0)
    _, token, _ = funded_employee(stack, admin, company, fake, 3_000)
    voucher = buy(stack, token, provider.offering_id).json()
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 0
    r = stack.call("POST", f"/me/vouchers/{voucher['id']}/cancellation", token)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert stack.call("POST", f"/me/vouchers/{voucher['id']}/cancellation",
                      token).status_code == 409
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 3_000
    r = stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token, key="c",
                   json={"code": voucher["code"]})
    assert r.status_code == 409  # a cancelled voucher no longer redeems
    listed = stack.call("GET", "/me/vouchers", token).json()["items"]
    assert [v["status"] for v in listed] == ["cancelled"]


def test_purchases_refused_with_the_reason_and_nothing_moves(stack, admin, company,
                                                             fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=5_000)
    wellbeing = approved_provider(stack, admin, fake, category="wellbeing", price_cents=100)
    _, token, plan = funded_employee(stack, admin, company, fake, 4_999)

    r = buy(stack, token, provider.offering_id)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_enough_credit"
    assert r.json()["error"]["params"] == {"needed_cents": 5_000, "available_cents": 4_999}
    r = buy(stack, token, wellbeing.offering_id)  # the plan covers education and fringe
    assert r.status_code == 422 and "wellbeing" in r.json()["error"]["message"]
    r = buy(stack, token, str(uuid.uuid4()))
    assert r.status_code == 404
    r = buy(stack, token, provider.offering_id, plan_id=str(uuid.uuid4()))
    assert r.status_code == 404
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 4_999


def test_fringe_purchases_stop_at_the_yearly_limit_saying_the_room_left(
        stack, admin, company, fake) -> None:
    gift = approved_provider(stack, admin, fake, category="fringe", price_cents=60_000)
    _, token, _ = funded_employee(stack, admin, company, fake, 150_000)
    assert buy(stack, token, gift.offering_id).status_code == 201
    r = buy(stack, token, gift.offering_id)
    assert r.status_code == 422
    error = r.json()["error"]
    assert "fringe-benefit limit of 1.000,00 €" in error["message"]
    assert "room left this year: 400,00 €" in error["message"]
    assert error["code"] == "fringe_limit_exceeded" and set(error["fields"]) == {"offering_id"}
    assert error["params"] == {"year": date.today().year, "limit_cents": 100_000,
                               "room_cents": 40_000}  # typed, as declared
    wallet = stack.call("GET", "/me/wallet", token).json()
    assert wallet["total_cents"] == 90_000
    assert wallet["fringe"]["used_cents"] == 60_000 and wallet["fringe"]["limit_cents"] == 100_000
    assert wallet["fringe"]["room_cents"] == 40_000


def test_card_topup_through_stripe_credits_the_fund_once(stack, company, admin) -> None:
    r = stack.call("POST", f"/companies/{company.id}/topups", company.hr, key="card-1",
                   json={"amount_cents": 50_000, "method": "card"})
    assert r.status_code == 201, r.text
    topup = r.json()
    assert topup["client_secret"].startswith("pi_") and topup["status"] == "pending"
    created = [q for q in stack.stripe.requests if q["path"] == "/v1/payment_intents"][-1]
    assert created["params"]["amount"] == "50000" and created["params"]["currency"] == "eur"
    assert created["params"]["metadata"]["company_id"] == company.id
    assert created["idempotency_key"].startswith("topup:")
    intent = stack.stripe.objects[topup["client_secret"].split("_secret_")[0]]

    def fund() -> int:
        return stack.call("GET", f"/companies/{company.id}", company.hr).json()[
            "fund_balance_cents"]

    def send(event: dict, at: int | None = None, secret: str = WEBHOOK_SECRET):
        payload, signature = signed(event, secret, at)
        return stack.call("POST", "/webhooks/stripe", data=payload,
                          headers_extra={"Stripe-Signature": signature})

    succeeded = payment_event("payment_intent.succeeded", intent, status="succeeded")
    assert send(succeeded, secret="whsec_wrong").status_code == 400
    assert send(succeeded, at=int(time.time()) - 3600).status_code == 400  # stale
    assert fund() == 0

    r = send(succeeded)
    assert r.status_code == 200 and r.json()["outcome"] == "credited"
    assert send(succeeded).json()["outcome"] == "duplicate"
    late_failure = payment_event("payment_intent.payment_failed", intent, status="failed")
    assert send(late_failure).json()["outcome"] == "ignored"  # out of order: success stands
    again = payment_event("payment_intent.succeeded", intent, status="succeeded")
    assert send(again).json()["outcome"] == "already applied"
    assert fund() == 50_000
