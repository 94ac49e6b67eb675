"""The provider lifecycle and the catalogue through the public API, and the
wallet pricing purchases from the catalogue's events."""

from __future__ import annotations

import time
import uuid

from support.e2e import apply_as_provider, approved_provider, buy, funded_employee


def test_a_provider_applies_is_approved_publishes_and_is_found(stack, admin, fake) -> None:
    email = fake.email("nido")
    application = {"name": "Nido Girasole", "vat_number": fake.vat_number(),
                   "categories": ["education"], "address": "Via Po 12", "city": "Torino",
                   "province": "to", "lat": 45.0686, "lon": 7.6934, "email": email,
                   "password": "nido-password-1", "iban": "IT60X0542811101000000123456"}
    for field, bad in (("vat_number", "12345678901"), ("iban", "IT60X0542811101000000123457"),
                       ("categories", ["gelato"]), ("lat", 91), ("province", "Torino")):
        r = stack.call("POST", "/providers", json={**application, field: bad})
        assert r.status_code == 400 and field in r.json()["error"]["fields"], (field, r.text)
    provider, _ = apply_as_provider(stack, application)
    assert provider["status"] == "pending"
    token = stack.token(email, "nido-password-1")

    r = stack.call("POST", f"/providers/{provider['id']}/approval", token,
                   json={"status": "approved", "commission_bps": 0})
    assert r.status_code == 403  # a provider cannot approve itself
    r = stack.call("POST", f"/providers/{provider['id']}/approval", admin,
                   json={"status": "approved"})
    assert r.status_code == 422 and "commission_bps" in r.json()["error"]["fields"]
    r = stack.call("POST", f"/providers/{provider['id']}/approval", admin,
                   json={"status": "approved", "commission_bps": 0})
    assert r.status_code == 200 and r.json()["commission_bps"] == 0

    body = {"title": "Retta asilo nido", "category": "education", "price_cents": 45_000,
            "description": "Mensile, bambini 0-3 anni"}
    assert stack.call("POST", f"/providers/{provider['id']}/offerings", token,
                      json={**body, "category": "wellbeing"}).status_code == 422
    assert stack.call("POST", f"/providers/{provider['id']}/offerings", token,
                      json={**body, "price_cents": 0}).status_code == 400
    r = stack.call("POST", f"/providers/{provider['id']}/offerings", token, json=body)
    assert r.status_code == 201
    offering = r.json()

    other = approved_provider(stack, admin, fake)
    r = stack.call("PATCH", f"/providers/{provider['id']}/offerings/{offering['id']}",
                   other.token, json={"price_cents": 1})
    assert r.status_code == 404  # another provider's offering
    r = stack.call("PATCH", f"/providers/{other.id}/offerings/{offering['id']}", other.token,
                   json={"price_cents": 1})
    assert r.status_code == 404

    r = stack.call("GET", "/offerings", admin, params={
        "q": "asili nido", "lat": 45.07, "lon": 7.69, "radius_km": 5})
    hits = [h for h in r.json()["items"] if h["id"] == offering["id"]]
    assert hits and hits[0]["distance_km"] < 1 and hits[0]["provider_name"] == "Nido Girasole"

    circuit = stack.call("GET", "/circuit", params={"province": "TO", "limit": 200}).json()
    assert provider["id"] in [p["id"] for p in circuit["items"]]
    assert "iban" not in circuit["items"][0] and "email" not in circuit["items"][0]


def test_the_wallet_prices_from_the_catalogue_and_follows_its_changes(stack, admin, company,
                                                                     fake) -> None:
    # cancellations at once (no offline acceptance): the credit comes back for the next try
    provider = approved_provider(stack, admin, fake, price_cents=10_000, offline_hours=0)
    _, token, _ = funded_employee(stack, admin, company, fake, 100_000)
    first = buy(stack, token, provider.offering_id).json()
    assert first["amount_cents"] == 10_000

    r = stack.call("PATCH", f"/providers/{provider.id}/offerings/{provider.offering_id}",
                   provider.token, json={"price_cents": 12_000})
    assert r.status_code == 200 and r.json()["price_cents"] == 12_000
    deadline = time.monotonic() + 10
    while (voucher := buy(stack, token, provider.offering_id).json())["amount_cents"] != 12_000:
        assert time.monotonic() < deadline, voucher
        stack.call("POST", f"/me/vouchers/{voucher['id']}/cancellation", token)
        time.sleep(0.1)

    r = stack.call("POST", f"/providers/{provider.id}/approval", admin,
                   json={"status": "suspended"})
    assert r.status_code == 200
    deadline = time.monotonic() + 10
    while (r := buy(stack, token, provider.offering_id)).status_code == 201:
        assert time.monotonic() < deadline
        stack.call("POST", f"/me/vouchers/{r.json()['id']}/cancellation", token)
        time.sleep(0.1)
    assert r.status_code == 422 and "not in the circuit" in r.json()["error"]["message"]
    assert provider.offering_id not in [
        h["id"] for h in stack.call("GET", "/offerings", token,
                                    params={"provider_id": provider.id}).json()["items"]]
    # a suspended provider redeems nothing, not even a voucher issued before (issue 23.3:
    # what it redeemed before the suspension is still paid; what it tries after is refused)
    r = stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
                   key=uuid.uuid4().hex, json={"code": first["code"]})
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "provider_not_in_circuit"


def test_withdrawn_offerings_cannot_be_bought(stack, admin, company, fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=1_000)
    _, token, _ = funded_employee(stack, admin, company, fake, 5_000)
    assert buy(stack, token, provider.offering_id).status_code == 201
    r = stack.call("POST", f"/providers/{provider.id}/offerings/{provider.offering_id}/"
                   "withdrawal", provider.token)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    deadline = time.monotonic() + 10
    while (r := buy(stack, token, provider.offering_id)).status_code == 201:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert r.status_code == 404


def test_an_employee_proposes_a_provider_which_is_invited_then_joins(stack, admin, company,
                                                                    fake) -> None:
    employee, token, _ = funded_employee(stack, admin, company, fake, 100)
    email = fake.email("palestra")
    r = stack.call("POST", "/me/provider-proposals", token, json={
        "name": "Palestra Vita", "city": "Alba", "email": email, "category": "wellbeing"})
    assert r.status_code == 201 and r.json()["status"] == "invited"
    invitation = stack.smtp.wait_for(lambda m: m["To"] == email)
    assert "circuito WeCare" in invitation[0]["Subject"]

    provider, _ = apply_as_provider(stack, {
        "name": "Palestra Vita", "vat_number": fake.vat_number(), "categories": ["wellbeing"],
        "address": "Corso Italia 1", "city": "Alba", "province": "CN", "lat": 44.7,
        "lon": 8.03, "email": email, "password": "palestra-pass-1",
        "iban": "IT60X0542811101000000123456"})
    provider_id = provider["id"]
    mine = stack.call("GET", "/me/provider-proposals", token).json()["items"]
    assert [(p["status"], p["provider_id"]) for p in mine] == [("applied", provider_id)]
    stack.call("POST", f"/providers/{provider_id}/approval", admin,
               json={"status": "approved", "commission_bps": 100})
    mine = stack.call("GET", "/me/provider-proposals", token).json()["items"]
    assert mine[0]["status"] == "approved"


def test_proposals_cannot_be_used_to_write_to_any_address_at_will(stack, admin, company,
                                                                 fake) -> None:
    """Five proposals a day per employee; an address proposed lately is not written to
    again; the invitation carries nothing the employee typed (issue 23.8)."""
    _, token, _ = funded_employee(stack, admin, company, fake, 100)
    _, colleague, _ = funded_employee(stack, admin, company, fake, 100)
    target = fake.email("target")
    typed = "Premio! https://evil.example/x"

    def propose(who: str, email: str):  # type: ignore[no-untyped-def]
        return stack.call("POST", "/me/provider-proposals", who, json={
            "name": typed, "city": typed, "email": email, "category": "wellbeing"})

    statuses = [propose(token, target).status_code for _ in range(2)]
    statuses += [propose(token, fake.email("other")).status_code for _ in range(3)]
    assert statuses == [201] * 5
    over = propose(token, fake.email("more"))
    assert over.status_code == 429 and over.json()["error"]["code"] == "too_many_proposals"
    assert over.json()["error"]["params"]["per_day"] == 5
    assert 0 < int(over.headers["Retry-After"]) <= 86400
    sentinel = fake.email("sentinel")
    assert propose(colleague, target).status_code == 201  # another employee, same address
    assert propose(colleague, sentinel).status_code == 201  # …and one mailed after it
    stack.smtp.wait_for(lambda m: m["To"] == sentinel)
    time.sleep(1)
    (invitation,) = [m for m in stack.smtp.messages() if m["To"] == target]
    text = invitation.get_body(preferencelist=("plain",)).get_content()
    assert "WeCare" in invitation["Subject"] and "evil.example" not in text
