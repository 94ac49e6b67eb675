"""make bench-grants: a bulk grant (`all: true`) to 25,000 / 50,000 / 100,000
employees through the gateway; the time until every employee's credit is
visible in the wallet, and the CPU each process spent on it. Prints a table
with issue 15's target beside it (100,000 employees visible in ≤ 3 s, and
linear: the same µs per employee at every size); asserts nothing.

The employees are written straight into the benefits schema (setting up 100,000
people through the API is not what is measured); the grant itself goes through
the public API, benefits, one RPC to the wallet and one ledger transaction.
The notifications service is stopped first: the grants' emails are not what is
measured here (`make bench-notifications`), and sent meanwhile they would take
the same cores.

BENCH_SIZES=1000,10000 picks other sizes. BENCH_PROFILE=benefits (or wallet,
gateway; comma-separated) runs those services under cProfile (CPU time,
bench/profiled.py) over the grants only, prints their top functions and keeps
var/bench-grants/<service>.prof (`python -m pstats` reads it)."""

from __future__ import annotations

import os
import pstats
import signal
import sys
import time
import uuid
from datetime import UTC, date, datetime

from harness import ADMIN, ROOT, Ports, cpu_seconds, stack, vat
from sqlalchemy import create_engine, text

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "25000,50000,100000").split(",")]
PROFILE = [s for s in os.environ.get("BENCH_PROFILE", "").split(",") if s]
AMOUNT = 5_000
TARGET_S, TARGET_SIZE = 3.0, 100_000  # issue 15
DATA = ROOT / "var/bench-grants"


def add_employees(engine, company_id: str, n: int) -> None:  # type: ignore[no-untyped-def]
    from benefits.models import Employee
    from sqlalchemy import insert

    now = datetime.now(UTC)
    rows = [{"id": str(uuid.uuid4()), "company_id": company_id, "email": f"e{i}@{company_id}",
             "first_name": "E", "last_name": str(i), "fiscal_code": f"X{i:015d}",
             "language": "it", "dependent_children": [], "status": "active",
             "created_at": now} for i in range(n)]
    with engine.begin() as conn:
        conn.execute(text("SET search_path = benefits"))
        for start in range(0, n, 10_000):
            conn.execute(insert(Employee), rows[start:start + 10_000])
        conn.execute(text("ANALYZE employees"))


def credited(engine, company_id: str, plan_id: str) -> int:  # type: ignore[no-untyped-def]
    """Employees of the plan whose credit the wallet shows: counted once the grant's
    ledger transaction is there (looked for by an index 50 times a second; counting
    100,000 accounts as often would take a core from what is measured)."""
    with engine.connect() as conn:
        if conn.scalar(text(
                "SELECT count(*) FROM wallet.ledger_transactions WHERE company_id = :c "
                "AND kind = 'grant'"), {"c": company_id}) == 0:
            return 0
        return conn.scalar(text(
            "SELECT count(*) FROM wallet.accounts WHERE plan_id = :p AND kind = 'employee' "
            "AND balance_cents = :a"), {"p": plan_id, "a": AMOUNT})


def backends(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The stack's PostgreSQL processes (its services' connections), not the machine's."""
    with engine.connect() as conn:
        return {f"pg:{pid}": pid for pid in conn.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"))}


def main() -> int:
    results = []
    profiled = {}
    DATA.mkdir(parents=True, exist_ok=True)
    # ports of its own: another benchmark may be running on the default ones
    with stack(Ports.free(), data_dir=DATA) as running:
        api = running.api
        engine = create_engine(running.database_url)
        # no emails: the previous size's 100,000 would be sent meanwhile, on the same
        # cores (make bench-notifications measures them); the events wait in the queue
        os.kill(running.pids.pop("notifications"), signal.SIGTERM)
        if PROFILE:
            from profile_bench import restart_profiled

            for service in PROFILE:
                profiled[service] = restart_profiled(running, service,
                                                     str(DATA / f"{service}.prof"))
        admin = api.token(*ADMIN)
        for n, size in enumerate(SIZES):
            hr_email = f"hr{n}@bench.test"
            company = api("POST", "/companies", admin, name=f"Bench {size}",
                          vat_number=vat(2_000_000 + n),
                          hr_manager={"email": hr_email, "first_name": "H", "last_name": "R",
                                      "password": "bench-hr-password"})
            hr = api.token(hr_email, "bench-hr-password")
            add_employees(engine, company["id"], size)
            topup = api("POST", f"/companies/{company['id']}/topups", hr, key=f"t{n}",
                        amount_cents=AMOUNT * size, method="bank_transfer")
            api("POST", f"/topups/{topup['id']}/confirmation", admin)
            year = date.today().year
            plan = api("POST", f"/companies/{company['id']}/plans", hr, name="Bench",
                       fiscal_year=year, valid_from=f"{year}-01-01",
                       valid_until=f"{year}-12-31", categories=["education"],
                       leftover_policy="return_to_fund")
            time.sleep(1)  # the plan's event consumed, the outbox quiet
            for child in profiled.values():
                child.send_signal(signal.SIGUSR1)
            pg = backends(engine)
            cpu0 = cpu_seconds({**running.pids, **pg})
            start = time.perf_counter()
            grant = api("POST", f"/plans/{plan['id']}/grants", hr, key=f"g{n}",
                        amount_cents=AMOUNT, all=True)
            answered = time.perf_counter() - start
            while credited(engine, company["id"], plan["id"]) < size:
                time.sleep(0.02)
            visible = time.perf_counter() - start
            cpu1 = cpu_seconds({**running.pids, **pg})
            for child in profiled.values():
                child.send_signal(signal.SIGUSR2)
            cpu = {k: cpu1[k] - cpu0.get(k, 0) for k in cpu1 if not k.startswith("pg:")}
            cpu["pg (stack)"] = sum(cpu1[k] - cpu0[k] for k in pg)
            # the path is one request after another: on an idle machine about its time
            cpu["serial"] = sum(cpu[k] for k in ("gateway", "benefits", "wallet",
                                                 "pg (stack)"))
            results.append((size, grant["employee_count"], answered, visible, cpu))
            print(f"· {size}: {visible:.2f} s", flush=True)
            time.sleep(2)  # the profile written; the grant's events sent before the next
        engine.dispose()
        for child in profiled.values():
            child.terminate()
            child.wait(timeout=30)
    print(f"\nbulk grant (all: true) through the gateway, {os.cpu_count()} cores "
          "(a shared machine: compare sizes within one run)\n")
    procs = ["gateway", "benefits", "wallet", "pg (stack)", "serial", "postgres", "rabbitmq"]
    print(f"{'employees':>10} {'granted':>8} {'answer s':>9} {'visible s':>10} "
          f"{'µs/empl':>8} {'target':>10}   CPU s: " + " ".join(f"{p:>10}" for p in procs))
    for size, granted, answered, visible, cpu in results:
        target = f"≤ {TARGET_S * size / TARGET_SIZE:.2f} s"
        print(f"{size:>10} {granted:>8} {answered:>9.2f} {visible:>10.2f} "
              f"{visible / size * 1e6:>8.1f} {target:>10}          "
              + " ".join(f"{cpu[p]:>10.2f}" for p in procs))
    print("\nCPU s: each service; pg (stack) its PostgreSQL connections; serial their sum (the "
          "path runs one step after another: about its time on an idle machine); postgres "
          "and rabbitmq every such process on the machine")
    print(f"target (issue 15): {TARGET_SIZE:,} employees visible in ≤ {TARGET_S:g} s "
          f"({TARGET_S / TARGET_SIZE * 1e6:.0f} µs per employee at every size: linear)")
    for service in profiled:
        print(f"\n{service} under cProfile (CPU time), over the grants only\n")
        stats = pstats.Stats(str(DATA / f"{service}.prof"))
        for key in ("tottime", "cumulative"):
            stats.sort_stats(key).print_stats(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
