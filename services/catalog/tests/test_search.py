"""Catalogue search on real PostgreSQL: Italian full text, near a point,
price, provider, pagination; only approved providers' active offerings."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from catalog import domain, search
from sqlalchemy.orm import Session
from wecare_common.outbox import outbox_sessionmaker

TORINO = (45.0703, 7.6869)
# Distances from Torino's centre: Moncalieri ~8 km, Chieri ~14 km, Asti ~48 km.
PLACES = {"Moncalieri": (45.0009, 7.6822), "Chieri": (45.0130, 7.8250),
          "Asti": (44.9009, 8.2065), "Torino": TORINO}


@pytest.fixture
def session(engines) -> Iterator[Session]:
    from catalog.models import Base

    with outbox_sessionmaker(engines("catalog"), Base.metadata)() as s:
        yield s
        s.rollback()


def provider(session: Session, fake, city: str, categories: list[str], status: str = "approved",
             **extra) -> str:
    lat, lon = PLACES[city]
    view = domain.register_provider(session, {
        "name": f"{city} {uuid.uuid4().hex[:6]}", "vat_number": fake.vat_number(),
        "categories": categories, "address": f"Via Roma 1, {city}", "city": city,
        "province": "AT" if city == "Asti" else "TO", "lat": lat, "lon": lon,
        "email": fake.email("p"), "iban": "IT60X0542811101000000123456", **extra})
    if status != "pending":
        domain.decide(session, view["id"], {"status": status, "commission_bps": 0,
                                            "agreement_start": None, "stripe_account_id": None})
    return view["id"]


def offer(session: Session, provider_id: str, title: str, category: str, price: int,
          **extra) -> str:
    return domain.publish_offering(session, provider_id, {
        "title": title, "description": extra.pop("description", ""), "category": category,
        "price_cents": price, "delivery": "on_site", "valid_from": None, "valid_until": None,
        **extra})["id"]


def ids(result: dict) -> list[str]:
    return [i["id"] for i in result["items"]]


def test_near_a_point_within_the_radius_nearest_first(session, fake) -> None:
    cat = "family_care"
    near = offer(session, provider(session, fake, "Moncalieri", [cat]), "Badante", cat, 1000)
    mid = offer(session, provider(session, fake, "Chieri", [cat]), "Badante", cat, 1000)
    offer(session, provider(session, fake, "Asti", [cat]), "Badante", cat, 1000)
    found = search.search(session, category=cat, lat=TORINO[0], lon=TORINO[1], radius_km=20)
    mine = [i for i in found["items"] if i["id"] in (near, mid)]
    assert [i["id"] for i in mine] == [near, mid]
    assert 6 < mine[0]["distance_km"] < 10 and 11 < mine[1]["distance_km"] < 17
    assert all(i["distance_km"] <= 20 for i in found["items"])
    assert all(i["category"] == cat for i in found["items"])


def test_italian_full_text_finds_stems(session, fake) -> None:
    p = provider(session, fake, "Torino", ["education"])
    word = "girasol" + uuid.uuid4().hex[:6]
    hit = offer(session, p, f"Asilo nido {word}", "education", 45000,
                description="Rette mensili per bambini da 0 a 3 anni")
    assert hit in ids(search.search(session, q=f"asili {word}"))        # plural → singular
    assert hit in ids(search.search(session, q=f"{word} retta mensile"))  # stems in description
    assert hit not in ids(search.search(session, q=f"{word} palestra"))


def test_price_range_provider_and_price_order(session, fake) -> None:
    p = provider(session, fake, "Torino", ["wellbeing"])
    cheap = offer(session, p, "Yoga", "wellbeing", 5000)
    dear = offer(session, p, "Yoga", "wellbeing", 20000)
    assert ids(search.search(session, provider_id=p, sort="price")) == [cheap, dear]
    assert ids(search.search(session, provider_id=p, min_price_cents=6000)) == [dear]
    assert ids(search.search(session, provider_id=p, max_price_cents=6000)) == [cheap]


def test_pages_cover_everything_once(session, fake) -> None:
    p = provider(session, fake, "Torino", ["transport"])
    made = {offer(session, p, f"Abbonamento {n}", "transport", 1000 + n) for n in range(7)}
    for sort in ("newest", "price"):
        seen, cursor = [], None
        while True:
            page = search.search(session, provider_id=p, sort=sort, limit=3, cursor=cursor)
            seen += ids(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(made) and len(seen) == 7
    seen, cursor = [], None
    while True:
        page = search.search(session, provider_id=p, lat=TORINO[0], lon=TORINO[1], limit=3,
                             cursor=cursor)
        seen += ids(page)
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(seen) == sorted(made)


def test_only_approved_providers_active_offerings_within_validity(session, fake) -> None:
    pending = provider(session, fake, "Torino", ["education"], status="pending")
    suspended = provider(session, fake, "Torino", ["education"], status="suspended")
    ok = provider(session, fake, "Torino", ["education"])
    hidden = [offer(session, pending, "Corso", "education", 100),
              offer(session, suspended, "Corso", "education", 100)]
    withdrawn = offer(session, ok, "Corso", "education", 100)
    domain.withdraw_offering(session, ok, withdrawn)
    future = offer(session, ok, "Corso", "education", 100,
                   valid_from=date.today() + timedelta(days=5))
    shown = offer(session, ok, "Corso", "education", 100)
    found = ids(search.search(session, category="education", limit=100))
    assert shown in found
    assert not set(hidden + [withdrawn, future]) & set(found)
