"""Search of the catalogue (docs/domain.md#providers): only approved providers'
active offerings, by category, Italian full text, price, provider, and near a point.

Near a point: a bounding box narrows the providers in SQL (an index on
status, lat, lon), then the great-circle distance decides and sorts. Full
text: PostgreSQL's `italian` configuration (stems, stop words) over a GIN
index; on SQLite, the honest fallback is every word as a substring."""

from __future__ import annotations

import base64
import json
import math
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session
from wecare_common.contract import refusals

from catalog.models import Offering, Provider

EARTH_RADIUS_KM = 6371.0088
MAX_NEAR_CANDIDATES = 5000
FTS = text("to_tsvector('italian', offerings.title || ' ' || offerings.description) "
           "@@ websearch_to_tsquery('italian', :q)")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * max(math.cos(math.radians(lat)), 1e-6)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _encode(cursor: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise refusals.NOT_A_CURSOR(field="cursor") from exc
    if not isinstance(after, dict):
        raise refusals.NOT_A_CURSOR(field="cursor")
    return after


def _check(after: dict[str, Any], *keys: str) -> None:
    """A cursor holds the numbers its order pages by: one of another order, or made
    up, is refused rather than failing the search."""
    if not all(isinstance(after.get(k), int | float) and not isinstance(after.get(k), bool)
               for k in keys):
        raise refusals.NOT_A_CURSOR(field="cursor")


def item(o: Offering, p: Provider, km: float | None) -> dict[str, Any]:
    return {"id": o.id, "provider_id": o.provider_id, "provider_name": p.name,
            "title": o.title, "description": o.description, "category": o.category,
            "price_cents": o.price_cents, "delivery": o.delivery, "status": o.status,
            "city": p.city, "province": p.province, "lat": p.lat, "lon": p.lon,
            "distance_km": round(km, 2) if km is not None else None,
            "created_at": o.created_at.isoformat()}


def search(session: Session, *, category: str | None = None, q: str | None = None,
           lat: float | None = None, lon: float | None = None, radius_km: float = 20.0,
           min_price_cents: int | None = None, max_price_cents: int | None = None,
           provider_id: str | None = None, sort: str | None = None, limit: int = 20,
           cursor: str | None = None, today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    query = (select(Offering, Provider).join(Provider, Provider.id == Offering.provider_id)
             .where(Provider.status == "approved", Offering.status == "active",
                    or_(Offering.valid_from.is_(None), Offering.valid_from <= today),
                    or_(Offering.valid_until.is_(None), Offering.valid_until >= today)))
    if category:
        query = query.where(Offering.category == category)
    if provider_id:
        query = query.where(Offering.provider_id == provider_id)
    if min_price_cents is not None:
        query = query.where(Offering.price_cents >= min_price_cents)
    if max_price_cents is not None:
        query = query.where(Offering.price_cents <= max_price_cents)
    if q:
        if session.get_bind().dialect.name == "postgresql":
            query = query.where(FTS.bindparams(q=q))
        else:
            for word in q.split():
                pattern = f"%{word}%"
                query = query.where(or_(Offering.title.ilike(pattern),
                                        Offering.description.ilike(pattern)))
    sort = sort or ("distance" if lat is not None else "newest")
    after = _decode(cursor)

    if lat is not None and lon is not None:
        south, north, west, east = bounding_box(lat, lon, radius_km)
        query = query.where(Provider.lat.between(south, north),
                            Provider.lon.between(west, east))
        if session.get_bind().dialect.name != "postgresql":
            if after:
                _check(after, "offset")
            return _near_in_python(session, query, lat, lon, radius_km, sort, limit, after)
        km = _distance_sql(lat, lon).label("km")
        query = query.add_columns(km).where(km <= radius_km)
        if sort == "distance":
            query = query.order_by(km, Offering.seq)
            if after:
                _check(after, "km", "seq")
                query = query.where(or_(km > after["km"], and_(km == after["km"],
                                                              Offering.seq > after["seq"])))
            rows = session.execute(query.limit(limit + 1)).all()
            page = rows[:limit]
            more = len(rows) > limit
            return {"items": [item(o, p, d) for o, p, d in page],
                    "next_cursor": _encode({"km": page[-1][2], "seq": page[-1][0].seq})
                    if more else None}

    if sort == "price":
        query = query.order_by(Offering.price_cents, Offering.seq)
        if after:
            _check(after, "price", "seq")
            query = query.where(or_(Offering.price_cents > after["price"], and_(
                Offering.price_cents == after["price"], Offering.seq > after["seq"])))
    else:
        query = query.order_by(Offering.seq.desc())
        if after:
            _check(after, "seq")
            query = query.where(Offering.seq < after["seq"])
    rows = session.execute(query.limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = _encode({"seq": last.seq, "price": last.price_cents})
    return {"items": [item(r[0], r[1], r[2] if len(r) > 2 else None) for r in page],
            "next_cursor": next_cursor}


def _distance_sql(lat: float, lon: float) -> Any:
    """Haversine in SQL, from a fixed point to each provider."""
    lat1 = math.radians(lat)
    dlat = func.radians(Provider.lat) - lat1
    dlon = func.radians(Provider.lon) - math.radians(lon)
    a = (func.power(func.sin(dlat / 2), 2)
         + math.cos(lat1) * func.cos(func.radians(Provider.lat))
         * func.power(func.sin(dlon / 2), 2))
    return 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(a))


def _near_in_python(session: Session, query: Any, lat: float, lon: float, radius_km: float,
                    sort: str, limit: int, after: dict[str, Any] | None) -> dict[str, Any]:
    """SQLite has no trigonometry: the box in SQL, the distance here."""
    rows = session.execute(query.limit(MAX_NEAR_CANDIDATES)).all()
    near = [(o, p, distance_km(lat, lon, p.lat, p.lon)) for o, p in rows]
    near = [r for r in near if r[2] <= radius_km]
    keys = {"distance": lambda r: (r[2], r[0].seq),
            "price": lambda r: (r[0].price_cents, r[0].seq),
            "newest": lambda r: (-r[0].seq,)}
    near.sort(key=keys[sort])
    start = int((after or {}).get("offset", 0))
    page = near[start:start + limit]
    more = start + limit < len(near)
    return {"items": [item(o, p, km) for o, p, km in page],
            "next_cursor": _encode({"offset": start + limit}) if more else None}
