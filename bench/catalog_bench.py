"""make bench-catalog: 10,000 providers and 50,000 offerings across Piedmont's
provinces on PostgreSQL; p50/p99 of typical searches at the service (the
catalog's search function on its own session, as its RPC entrypoint runs it).
Prints a table and the plan of each search; asserts nothing."""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, insert, text

PG = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
PROVIDERS, OFFERINGS, RUNS = 10_000, 50_000, 300
# Province capitals of Piedmont.
PROVINCES = {"TO": (45.0703, 7.6869), "CN": (44.3845, 7.5427), "AT": (44.9009, 8.2065),
             "AL": (44.9125, 8.6150), "NO": (45.4469, 8.6219), "VC": (45.3206, 8.4186),
             "BI": (45.5629, 8.0583), "VB": (45.9220, 8.5519)}
WORDS = {
    "education": ["asilo nido", "scuola dell'infanzia", "centro estivo", "doposcuola",
                  "libri scolastici", "mensa scolastica", "corso di inglese"],
    "family_care": ["assistenza domiciliare", "badante", "centro diurno anziani",
                    "casa di riposo", "infermiere a domicilio"],
    "wellbeing": ["palestra", "piscina", "corso di yoga", "teatro", "museo", "fisioterapia",
                  "visita specialistica", "abbonamento cinema"],
    "transport": ["abbonamento autobus", "abbonamento treno regionale", "bike sharing"],
    "fringe": ["buono spesa", "buono carburante", "bolletta luce e gas"],
}


def seed(url: str) -> None:
    engine = create_engine(url, connect_args={"options": "-csearch_path=catalog"})
    rng = random.Random(7)
    now = datetime.now(UTC)
    providers, offerings = [], []
    for n in range(PROVIDERS):
        province = rng.choice(list(PROVINCES))
        lat, lon = PROVINCES[province]
        categories = rng.sample(list(WORDS), rng.randint(1, 2))
        providers.append({
            "id": str(uuid.uuid4()), "name": f"Fornitore {n}", "vat_number": f"{n:011d}",
            "categories": categories, "address": f"Via {n}", "city": province,
            "province": province, "lat": lat + rng.uniform(-0.3, 0.3),
            "lon": lon + rng.uniform(-0.4, 0.4), "email": f"p{n}@bench.test",
            "iban": "IT60X0542811101000000123456",
            "status": "approved" if rng.random() < 0.9 else "suspended",
            "commission_bps": 200, "created_at": now})
    for n in range(OFFERINGS):
        p = providers[n % PROVIDERS]
        category = rng.choice(p["categories"])
        phrase = rng.choice(WORDS[category])
        offerings.append({
            "id": str(uuid.uuid4()), "provider_id": p["id"], "title": phrase.capitalize(),
            "description": f"{phrase} a {p['city']}, servizio {n}", "category": category,
            "price_cents": rng.randint(5, 800) * 100, "delivery": "on_site",
            "status": "active", "created_at": now})
    from catalog.models import Offering, Provider

    with engine.begin() as conn:
        for start in range(0, PROVIDERS, 2000):
            conn.execute(insert(Provider), providers[start:start + 2000])
        for start in range(0, OFFERINGS, 5000):
            conn.execute(insert(Offering), offerings[start:start + 5000])
        conn.execute(text("ANALYZE"))
    engine.dispose()


def main() -> int:
    db = "wecare_catalog_bench_" + uuid.uuid4().hex[:6]
    admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    url = f"{PG}/{db}"
    os.environ["DATABASE_URL"] = url
    try:
        from wecare_common.migrations import upgrade

        upgrade("catalog", url)
        t0 = time.monotonic()
        seed(url)
        print(f"seeded {PROVIDERS} providers, {OFFERINGS} offerings in "
              f"{time.monotonic() - t0:.1f} s")
        from catalog import search
        from sqlalchemy.orm import Session
        from wecare_common.db import make_engine

        engine = make_engine("catalog", url)
        rng = random.Random(11)

        def near() -> dict[str, float]:
            lat, lon = PROVINCES[rng.choice(list(PROVINCES))]
            return {"lat": lat + rng.uniform(-0.1, 0.1), "lon": lon + rng.uniform(-0.1, 0.1)}

        cases = {
            "category + 10 km radius": lambda: dict(
                category=rng.choice(list(WORDS)), **near(),
                radius_km=10),
            "text + 10 km radius": lambda: dict(
                q=rng.choice(["asili", "palestra", "assistenza", "abbonamento"]),
                **near(), radius_km=10),
            "text alone": lambda: dict(q=rng.choice(["asilo nido", "piscina", "badante",
                                                     "buono spesa", "museo"])),
            "category, by price": lambda: dict(category=rng.choice(list(WORDS)),
                                               sort="price"),
        }
        print(f"\n{'search (limit 20)':<26} {'p50 ms':>8} {'p99 ms':>8} {'hits/page':>10}")
        for name, params in cases.items():
            times, hits = [], []
            with Session(engine) as session:
                for _ in range(20):
                    search.search(session, **params())  # warm the cache and the plans
                for _ in range(RUNS):
                    p = params()
                    t = time.perf_counter()
                    page = search.search(session, **p)
                    times.append((time.perf_counter() - t) * 1000)
                    hits.append(len(page["items"]))
                    session.rollback()
            times.sort()
            print(f"{name:<26} {statistics.median(times):>8.2f} "
                  f"{times[int(len(times) * 0.99) - 1]:>8.2f} {statistics.mean(hits):>10.1f}")
        with engine.connect() as conn:
            print("\nindexes the searches use:")
            for label, sql in (
                ("text", "SELECT o.id FROM offerings o JOIN providers p ON p.id = o.provider_id "
                         "WHERE p.status = 'approved' AND o.status = 'active' AND "
                         "to_tsvector('italian', o.title || ' ' || o.description) @@ "
                         "websearch_to_tsquery('italian', 'asili') LIMIT 21"),
                ("near", "SELECT o.id FROM offerings o JOIN providers p ON p.id = o.provider_id "
                         "WHERE p.status = 'approved' AND o.status = 'active' AND "
                         "p.lat BETWEEN 44.98 AND 45.16 AND p.lon BETWEEN 7.56 AND 7.81")):
                plan = conn.execute(text("EXPLAIN " + sql)).scalars().all()
                used = sorted({w.strip(",") for line in plan for w in line.split()
                               if w.startswith("ix_")})
                print(f"  {label:<5} {', '.join(used) or '(sequential scan)'}")
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
