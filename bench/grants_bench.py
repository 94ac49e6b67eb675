"""make bench-grants: a bulk grant (`all: true`) to 1,000 / 10,000 / 100,000
employees through the gateway; the time until every employee's credit is
visible in the wallet. Prints a table; asserts nothing.

The employees are written straight into the benefits schema (setting up 100,000
people through the API is not what is measured); the grant itself goes through
the public API, benefits, one RPC to the wallet and one ledger transaction."""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import UTC, date, datetime

from harness import ADMIN, stack, vat
from sqlalchemy import create_engine, func, insert, select

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",")]
AMOUNT = 5_000


def add_employees(database_url: str, company_id: str, n: int) -> None:
    from benefits.models import Employee

    engine = create_engine(database_url, connect_args={"options": "-csearch_path=benefits"})
    now = datetime.now(UTC)
    rows = [{"id": str(uuid.uuid4()), "company_id": company_id, "email": f"e{i}@{company_id}",
             "first_name": "E", "last_name": str(i), "fiscal_code": f"X{i:015d}",
             "language": "it", "dependent_children": [], "status": "active",
             "created_at": now} for i in range(n)]
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            conn.execute(insert(Employee), rows[start:start + 10_000])
    engine.dispose()


def credited(database_url: str, plan_id: str) -> int:
    from wallet.models import Account

    engine = create_engine(database_url, connect_args={"options": "-csearch_path=wallet"})
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(Account).where(
            Account.plan_id == plan_id, Account.balance_cents == AMOUNT))
    engine.dispose()
    return count


def main() -> int:
    results = []
    with stack() as running:
        api = running.api
        admin = api.token(*ADMIN)
        for n, size in enumerate(SIZES):
            hr_email = f"hr{n}@bench.test"
            company = api("POST", "/companies", admin, name=f"Bench {size}",
                          vat_number=vat(2_000_000 + n),
                          hr_manager={"email": hr_email, "first_name": "H", "last_name": "R",
                                      "password": "bench-hr-password"})
            hr = api.token(hr_email, "bench-hr-password")
            add_employees(running.database_url, company["id"], size)
            topup = api("POST", f"/companies/{company['id']}/topups", hr, key=f"t{n}",
                        amount_cents=AMOUNT * size, method="bank_transfer")
            api("POST", f"/topups/{topup['id']}/confirmation", admin)
            year = date.today().year
            plan = api("POST", f"/companies/{company['id']}/plans", hr, name="Bench",
                       fiscal_year=year, valid_from=f"{year}-01-01",
                       valid_until=f"{year}-12-31", categories=["education"],
                       leftover_policy="return_to_fund")
            start = time.perf_counter()
            grant = api("POST", f"/plans/{plan['id']}/grants", hr, key=f"g{n}",
                        amount_cents=AMOUNT, all=True)
            answered = time.perf_counter() - start
            while (seen := credited(running.database_url, plan["id"])) < size:
                time.sleep(0.01)
            visible = time.perf_counter() - start
            results.append((size, grant["employee_count"], answered, visible, seen))
            print(f"· {size}: {visible:.2f} s", flush=True)
    print(f"\nbulk grant (all: true) through the gateway, {os.cpu_count()} cores\n")
    print(f"{'employees':>10} {'granted':>8} {'answer s':>9} {'all visible s':>14} "
          f"{'µs / employee':>14}")
    for size, granted, answered, visible, _ in results:
        print(f"{size:>10} {granted:>8} {answered:>9.2f} {visible:>14.2f} "
              f"{visible / size * 1e6:>14.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
