"""make bench-ledger: the two ways issue #3 allows transfers racing on the same
accounts to serialize, measured against each other on the same PostgreSQL:

  locks         READ COMMITTED; the debited rows are locked in a fixed (sorted)
                order, so transfers queue instead of deadlocking (what the wallet does)
  serializable  SERIALIZABLE without row locks; a transaction that fails
                serialization is retried, up to 10 times

16 threads post for 10 s each: half grant (the company fund → one of 20
employees' credit), half buy (an employee's credit → a new voucher account), so
every grant contends on the fund and purchases on the credits. Printed:
transfers/s, latency, retries, transfers given up, and the audit afterwards.
Asserts nothing."""

from __future__ import annotations

import os
import random
import statistics
import sys
import threading
import time
import uuid

from harness import PG, psql
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

THREADS = int(os.environ.get("BENCH_CLIENTS", "16"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
EMPLOYEES = 20
MAX_TRIES = 10
RETRYABLE = {"40001", "40P01"}  # serialization failure, deadlock detected


def run(engine, strategy: str) -> dict:  # type: ignore[no-untyped-def]
    from wallet import ledger
    from wallet.ledger import Leg
    from wallet.models import Base

    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    fund = ledger.fund_account("bench")
    credits = [ledger.credit_account(f"e{i}", "plan") for i in range(EMPLOYEES)]
    with Session(engine) as s:
        ledger.post(s, kind="topup", idempotency_key="seed-topup", company_id="bench",
                    legs=ledger.transfer(Leg(ledger.EXTERNAL_BANK, 0),
                                         [Leg(fund, 10**12, company_id="bench")]))
        ledger.post(s, kind="grant", idempotency_key="seed-grant", company_id="bench",
                    legs=ledger.transfer(Leg(fund, 0), [
                        Leg(c, 10**9, company_id="bench", owner_id=c, plan_id="plan")
                        for c in credits]))
        s.commit()

    latencies: list[float] = []
    counts = {"retries": 0, "gave_up": 0}
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def transfer(buying: bool) -> list:  # type: ignore[type-arg]
        credit = random.choice(credits)
        if buying:
            return ledger.transfer(Leg(credit, 0), [Leg(ledger.voucher_account(
                str(uuid.uuid4())), random.randint(1, 500), company_id="bench")])
        return ledger.transfer(Leg(fund, 0), [Leg(credit, random.randint(1, 500),
                                                  company_id="bench", plan_id="plan")])

    def worker(buying: bool) -> None:
        while time.monotonic() < stop:
            legs, started, retries = transfer(buying), time.perf_counter(), 0
            for _ in range(MAX_TRIES):
                with Session(engine) as s:
                    if strategy == "serializable":
                        s.connection(execution_options={"isolation_level": "SERIALIZABLE"})
                    try:
                        ledger.post(s, kind="voucher_purchase" if buying else "grant",
                                    idempotency_key=uuid.uuid4().hex, legs=legs,
                                    company_id="bench", lock=strategy == "locks")
                        s.commit()
                        break
                    except DBAPIError as exc:
                        if getattr(exc.orig, "pgcode", None) not in RETRYABLE:
                            raise
                        s.rollback()
                        retries += 1
            else:
                with lock:
                    counts["gave_up"] += 1
                    counts["retries"] += retries
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                counts["retries"] += retries

    threads = [threading.Thread(target=worker, args=(i % 2 == 1,)) for i in range(THREADS)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    with Session(engine) as s:
        audit = ledger.audit(s)
    latencies.sort()
    return {"rate": len(latencies) / elapsed, "p50": statistics.median(latencies),
            "p99": latencies[int(len(latencies) * 0.99)], **counts,
            "balanced": audit["balanced"], "sum": audit["sum_cents"]}


def main() -> int:
    db = "wecare_ledger_" + uuid.uuid4().hex[:8]
    psql("postgres", f'CREATE DATABASE "{db}"')
    engine = create_engine(f"{PG}/{db}", pool_size=THREADS, max_overflow=0)
    try:
        results = {strategy: run(engine, strategy) for strategy in ("locks", "serializable")}
    finally:
        engine.dispose()
        psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    print(f"\nledger transfers racing on shared accounts: {THREADS} threads, {SECONDS:g} s each "
          f"(grants from one fund, purchases from {EMPLOYEES} credits), {os.cpu_count()} cores\n")
    print(f"{'strategy':<14}{'transfers/s':>12}{'p50 ms':>8}{'p99 ms':>8}{'retries':>9}"
          f"{'gave up':>9}  audit")
    for name, r in results.items():
        print(f"{name:<14}{r['rate']:>12.1f}{r['p50']:>8.1f}{r['p99']:>8.1f}{r['retries']:>9}"
              f"{r['gave_up']:>9}  {'balanced' if r['balanced'] else 'NOT BALANCED'}, "
              f"sum {r['sum']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
