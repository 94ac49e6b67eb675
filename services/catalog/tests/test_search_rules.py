"""The catalogue's search in memory (docs/domain.md#providers), on the SQLite path
`make run` uses: only approved providers' active offerings within their validity;
by category, price, provider and words (each word somewhere in the title or the
description); near a point within a radius, nearest first; every page of every
order covering each offering once. (The PostgreSQL path: test_search.py.)"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from catalog import domain, search
from catalog.schemas import SearchRequest
from sqlalchemy.orm import Session
from wecare_common.errors import InvalidInput
from wecare_common.schemas import load

TORINO = (45.0703, 7.6869)
# From Torino's centre: Moncalieri ~8 km, Chieri ~14 km, Asti ~48 km.
PLACES = {"Torino": TORINO, "Moncalieri": (45.0009, 7.6822), "Chieri": (45.0130, 7.8250),
          "Asti": (44.9009, 8.2065)}
TODAY = date.today()


def provider(session: Session, fake, city: str = "Torino",
             categories: tuple[str, ...] = ("education", "wellbeing", "family_care"),
             status: str = "approved") -> str:
    lat, lon = PLACES[city]
    view = domain.register_provider(session, {
        "name": f"{city} {uuid.uuid4().hex[:6]}", "vat_number": fake.vat_number(),
        "categories": list(categories), "address": f"Via Roma 1, {city}", "city": city,
        "province": "AT" if city == "Asti" else "TO", "lat": lat, "lon": lon,
        "email": fake.email("p"), "iban": "IT60X0542811101000000123456"})
    if status != "pending":
        domain.decide(session, view["id"], {"status": status, "commission_bps": 0,
                                            "agreement_start": None, "stripe_account_id": None})
    return view["id"]


def offer(session: Session, provider_id: str, title: str = "Corso", category: str = "education",
          price: int = 1000, **extra: Any) -> str:
    return domain.publish_offering(session, provider_id, {
        "title": title, "description": extra.pop("description", ""), "category": category,
        "price_cents": price, "delivery": "on_site", "valid_from": None, "valid_until": None,
        **extra})["id"]


def find(session: Session, **query: Any) -> dict[str, Any]:
    """As the service searches: the request through its schema first."""
    return search.search(session, **load(SearchRequest, query))


def ids(result: dict[str, Any]) -> list[str]:
    return [i["id"] for i in result["items"]]


def every_page(session: Session, **query: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = find(session, **query, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= query.get("limit", 20)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_only_approved_providers_active_offerings_within_their_validity(
        memory_session, fake) -> None:
    shown = offer(memory_session, provider(memory_session, fake), "Visibile")
    offer(memory_session, provider(memory_session, fake, status="pending"), "In attesa")
    offer(memory_session, provider(memory_session, fake, status="suspended"), "Sospeso")
    mine = provider(memory_session, fake)
    domain.withdraw_offering(memory_session, mine, offer(memory_session, mine, "Ritirato"))
    offer(memory_session, mine, "Futuro", valid_from=TODAY + timedelta(days=1))
    offer(memory_session, mine, "Scaduto", valid_until=TODAY - timedelta(days=1))
    today_only = offer(memory_session, mine, "Oggi", valid_from=TODAY, valid_until=TODAY)
    assert set(ids(find(memory_session))) == {shown, today_only}


def test_by_category_price_range_and_provider(memory_session, fake) -> None:
    one, two = provider(memory_session, fake), provider(memory_session, fake)
    cheap = offer(memory_session, one, price=1000)
    dear = offer(memory_session, one, price=5000)
    gym = offer(memory_session, two, category="wellbeing", price=3000)
    assert set(ids(find(memory_session, category="education"))) == {cheap, dear}
    assert ids(find(memory_session, min_price_cents=2000, max_price_cents=5000,
                    sort="price")) == [gym, dear]
    assert ids(find(memory_session, provider_id=two)) == [gym]
    assert ids(find(memory_session, sort="price")) == [cheap, gym, dear]


def test_every_word_must_appear_in_the_title_or_the_description(memory_session, fake) -> None:
    p = provider(memory_session, fake)
    both = offer(memory_session, p, "Corso di Yoga", category="wellbeing",
                 description="al mattino, per principianti")
    offer(memory_session, p, "Yoga serale", category="wellbeing")
    offer(memory_session, p, "Pilates", category="wellbeing", description="al mattino")
    assert ids(find(memory_session, q="yoga MATTINO")) == [both]
    assert len(ids(find(memory_session, q="yoga"))) == 2
    assert ids(find(memory_session, q="tango")) == []


def test_near_a_point_within_the_radius_nearest_first_with_the_distance(
        memory_session, fake) -> None:
    mid = offer(memory_session, provider(memory_session, fake, "Chieri"))
    far = offer(memory_session, provider(memory_session, fake, "Asti"))
    near = offer(memory_session, provider(memory_session, fake, "Moncalieri"))
    lat, lon = TORINO
    result = find(memory_session, lat=lat, lon=lon, radius_km=20)
    assert ids(result) == [near, mid]
    distances = [i["distance_km"] for i in result["items"]]
    assert 7 < distances[0] < 9 and 12 < distances[1] < 16
    assert ids(find(memory_session, lat=lat, lon=lon, radius_km=60)) == [near, mid, far]
    assert ids(find(memory_session, lat=lat, lon=lon, radius_km=60, sort="newest")) == [
        near, far, mid]
    assert find(memory_session)["items"][0]["distance_km"] is None  # no point, no distance


def test_the_distance_is_the_great_circle_one() -> None:
    assert search.distance_km(*TORINO, *TORINO) == 0
    # Torino–Milano, ~126 km as the crow flies
    assert 124 < search.distance_km(*TORINO, 45.4642, 9.1900) < 128
    south, north, west, east = search.bounding_box(*TORINO, 10)
    assert south < TORINO[0] < north and west < TORINO[1] < east
    assert search.distance_km(south, TORINO[1], *TORINO) == pytest.approx(10, rel=1e-3)


QUERIES = [{}, {"sort": "price"}, {"category": "education", "sort": "price"},
           {"lat": TORINO[0], "lon": TORINO[1], "radius_km": 60},
           {"lat": TORINO[0], "lon": TORINO[1], "radius_km": 60, "sort": "price"}]


def test_pages_cover_every_offering_once_in_each_order(memory_session, fake) -> None:
    made = [offer(memory_session, provider(memory_session, fake, city), price=price)
            for city, price in (("Torino", 3000), ("Moncalieri", 1000), ("Chieri", 3000),
                                ("Asti", 2000), ("Torino", 1000), ("Chieri", 500),
                                ("Moncalieri", 3000))]
    for query in QUERIES:
        whole = find(memory_session, **query, limit=100)["items"]
        paged = every_page(memory_session, **query, limit=3)
        assert [i["id"] for i in paged] == [i["id"] for i in whole], query
        assert sorted(i["id"] for i in paged) == sorted(made), query
        if query.get("sort") == "price":
            assert [i["price_cents"] for i in paged] == sorted(i["price_cents"] for i in paged)
        elif "lat" in query:
            assert [i["distance_km"] for i in paged] == sorted(i["distance_km"] for i in paged)
        else:  # newest first
            assert [i["id"] for i in paged] == made[::-1]


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "MQ", "WzFd", "eyJ4IjogMX0"])
def test_a_cursor_not_from_this_search_is_refused_naming_it(memory_session, fake,
                                                            cursor: str) -> None:
    offer(memory_session, provider(memory_session, fake))
    for query in ({}, {"sort": "price"}, {"lat": TORINO[0], "lon": TORINO[1]}):
        with pytest.raises(InvalidInput) as refused:
            find(memory_session, cursor=cursor, **query)
        assert set(refused.value.fields) == {"cursor"}


@pytest.mark.parametrize(("query", "field"), [
    ({"lat": 45.0}, "lat"),
    ({"lon": 7.0}, "lat"),
    ({"sort": "distance"}, "sort"),
    ({"min_price_cents": 500, "max_price_cents": 100}, "max_price_cents"),
    ({"lat": 91, "lon": 7}, "lat"),
    ({"radius_km": 0}, "radius_km"),
    ({"radius_km": 301}, "radius_km"),
    ({"limit": 101}, "limit"),
    ({"category": "groceries"}, "category"),
])
def test_a_search_with_a_bad_field_is_refused_naming_it(query: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        load(SearchRequest, query)
    assert field in refused.value.fields
