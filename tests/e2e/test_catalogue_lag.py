"""A purchase of an offering published a moment ago succeeds, through the whole
stack: the wallet's copy of the catalogue may lag behind the catalog's events; on a
miss the wallet asks the catalog instead of answering "no such offering"."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import delete, select
from support.e2e import approved_provider, funded_employee


def test_buying_an_offering_published_a_moment_ago(stack, admin, company, fake,
                                                   engines) -> None:
    from wallet.models import Offering, Provider

    provider = approved_provider(stack, admin, fake, price_cents=2_000)
    _employee, token, _plan = funded_employee(stack, admin, company, fake, 20_000)

    # published, then bought at once: one request each, no waiting, no retry
    r = stack.call("POST", f"/providers/{provider.id}/offerings", provider.token, json={
        "title": "Centro estivo", "category": "education", "price_cents": 3_000})
    assert r.status_code == 201, r.text
    fresh = r.json()["id"]
    r = stack.call("POST", "/me/vouchers", token, key=uuid.uuid4().hex,
                   json={"offering_id": fresh})
    assert r.status_code == 201, r.text
    assert r.json()["amount_cents"] == 3_000

    # the wallet's copy lagging for sure: it has not heard of the offering or its provider
    wallet = engines("wallet")
    deadline = time.monotonic() + 10
    with wallet.begin() as conn:
        while conn.scalar(select(Offering.id).where(Offering.id == fresh)) is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    with wallet.begin() as conn:
        conn.execute(delete(Offering).where(Offering.provider_id == provider.id))
        conn.execute(delete(Provider).where(Provider.id == provider.id))
    r = stack.call("POST", "/me/vouchers", token, key=uuid.uuid4().hex,
                   json={"offering_id": provider.offering_id})
    assert r.status_code == 201, r.text
    assert r.json()["amount_cents"] == 2_000 and r.json()["provider_id"] == provider.id

    # an offering the catalog does not know either is still "no such offering"
    r = stack.call("POST", "/me/vouchers", token, key=uuid.uuid4().hex,
                   json={"offering_id": str(uuid.uuid4())})
    assert r.status_code == 404 and "offering_id" in r.json()["error"]["fields"]
