"""`make bench-restore`: how long `make backup` and `make restore` take for N vouchers
(issue 21.6's figure; the RTO's database part in docs/operations.md#backup-and-restore).

For each size: a stack of processes on a new database, N vouchers bought through the gateway
(with their grants, postings and events), `make backup`, the database dropped, a new one made,
`make restore` into it; the vouchers and postings counted back. Nothing is asserted; the table
shows the target beside each figure. BENCH_RESTORE_SIZES=1000,10000 chooses the sizes.
`load` is also tests/test_backup.py's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ADMIN, PG, Ports, psql, stack, vat  # noqa: E402
from web_bench import fiscal_code  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PRICE = 100
PASSWORD, HR_PASSWORD, PROVIDER_PASSWORD = ("restore-employee-1", "restore-hr-password",
                                           "restore-provider-1")
TARGET_RESTORE_S = 300  # docs/operations.md: the database back within 5 minutes (10,000 vouchers)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Loaded:
    company_id: str
    hr: str  # HR's email (password HR_PASSWORD)
    provider_id: str
    provider: str  # the provider's email (password PROVIDER_PASSWORD)
    employees: list[dict[str, Any]] = field(default_factory=list)  # id, email, fiscal_code
    vouchers: list[dict[str, Any]] = field(default_factory=list)  # as bought (code included)
    redeemed: list[str] = field(default_factory=list)  # ids
    reimbursement_id: str | None = None


def load(s: Any, employees: int, vouchers_each: int, redeem: int = 0, *,
         receipt: bool = False, n: int = 1) -> Loaded:
    """A company, `employees` people with credit for `vouchers_each` vouchers each, one
    provider's offering, every voucher bought through the gateway (8 clients at once),
    the first `redeem` redeemed by the provider, and with `receipt` a reimbursement request
    with its receipt."""
    api = s.api
    admin = api.token(*ADMIN)
    hr_email = f"hr-{n}@restore.test"
    company = api("POST", "/companies", admin, name=f"Restore {n}", vat_number=vat(4_000_000 + n),
                  hr_manager={"email": hr_email, "first_name": "H", "last_name": "R",
                              "password": HR_PASSWORD})
    hr = api.token(hr_email, HR_PASSWORD)
    people = []
    for i in range(employees):
        code = fiscal_code(n * 10_000 + i)
        made = api("POST", f"/companies/{company['id']}/employees", hr,
                   email=f"e{i}-{n}@restore.test", first_name="E", last_name=str(i),
                   fiscal_code=code, password=PASSWORD)
        people.append({"id": made["id"], "email": made["email"], "fiscal_code": code})
    credit = PRICE * vouchers_each + 10_000
    topup = api("POST", f"/companies/{company['id']}/topups", hr, key=uuid.uuid4().hex,
                amount_cents=credit * employees, method="bank_transfer")
    api("POST", f"/topups/{topup['id']}/confirmation", admin)
    year = date.today().year
    plan = api("POST", f"/companies/{company['id']}/plans", hr, name=f"Welfare {year}",
               fiscal_year=year, valid_from=f"{year}-01-01", valid_until=f"{year}-12-31",
               categories=["education"], leftover_policy="return_to_fund")
    api("POST", f"/plans/{plan['id']}/grants", hr, key=uuid.uuid4().hex, amount_cents=credit,
        employee_ids=[p["id"] for p in people])
    provider_email = f"p-{n}@restore.test"
    provider = api("POST", "/providers/enrolment", admin, name=f"Nido {n}",
                   vat_number=vat(5_000_000 + n),
                   categories=["education"], address="Via Po 1, Torino", lat=45.07, lon=7.69,
                   email=provider_email, password=PROVIDER_PASSWORD,
                   iban="IT60X0542811101000000123456")
    api("POST", f"/providers/{provider['id']}/approval", admin, status="approved",
        commission_bps=300)
    provider_token = api.token(provider_email, PROVIDER_PASSWORD)
    offering = api("POST", f"/providers/{provider['id']}/offerings", provider_token,
                   title="Retta", category="education", price_cents=PRICE)
    loaded = Loaded(company["id"], hr_email, provider["id"], provider_email, people)

    def buy_all(person: dict[str, Any]) -> list[dict[str, Any]]:
        http = requests.Session()
        token = api.token(person["email"], PASSWORD)
        person["token"] = token
        bought = []
        # the grant and the offering reach the wallet by events: slow on a loaded machine
        deadline = time.monotonic() + 300
        while True:
            r = http.get(f"{s.url}/api/v1/me/wallet", timeout=60,
                         headers={"Authorization": f"Bearer {token}"})
            if r.status_code == 200 and r.json()["total_cents"] >= credit:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{person['email']}'s credit never reached the wallet")
            time.sleep(0.5)
        key, failures = uuid.uuid4().hex, 0
        while len(bought) < vouchers_each:
            r = http.post(f"{s.url}/api/v1/me/vouchers", json={"offering_id": offering["id"]},
                          headers={"Authorization": f"Bearer {token}",
                                   "Idempotency-Key": key}, timeout=60)
            if r.status_code == 201:
                bought.append(r.json())
                key, failures = uuid.uuid4().hex, 0
            elif r.status_code in (404, 422) and time.monotonic() < deadline and not bought:
                time.sleep(0.1)
            elif r.status_code >= 500 and failures < 5:
                # a careful client: the same key again (a shared PostgreSQL out of
                # connections answers 500 now and then); it buys once
                failures += 1
                time.sleep(0.5 * failures)
            else:
                raise RuntimeError(f"buying: {r.status_code} {r.text[:300]}")
        return bought
    with ThreadPoolExecutor(8) as pool:
        for bought in pool.map(buy_all, people):
            loaded.vouchers += bought
    for voucher in loaded.vouchers[:redeem]:
        api("POST", f"/providers/{provider['id']}/redemptions", provider_token,
            key=uuid.uuid4().hex, code=voucher["code"])
        loaded.redeemed.append(voucher["id"])
    if receipt:
        person = people[0]
        r = requests.post(f"{s.url}/api/v1/me/reimbursements", timeout=60, data={
            "amount_cents": "2500", "category": "education",
            "spent_on": date.today().isoformat(), "provider_tax_id": "45678900049",
            "beneficiary_fiscal_code": person["fiscal_code"]},
            files={"receipt": ("scontrino.png", PNG, "image/png")},
            headers={"Authorization": f"Bearer {person['token']}",
                     "Idempotency-Key": uuid.uuid4().hex})
        if r.status_code != 201:
            raise RuntimeError(f"reimbursement: {r.status_code} {r.text[:300]}")
        loaded.reimbursement_id = r.json()["id"]
    return loaded


def make(command: list[str], database_url: str) -> str:
    """`python -m scripts.backup …` as make backup / make restore run it."""
    done = subprocess.run([sys.executable, "-m", "scripts.backup", *command], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "DATABASE_URL": database_url})
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]}: {done.stdout}{done.stderr}")
    return done.stdout


def seconds_in(output: str, word: str) -> float:
    """The figure before ' s' in the line of `make backup` / `make restore` naming `word`."""
    line = next(line for line in output.splitlines() if line.startswith(word))
    return float(line.split(" in ", 1)[1].split(" s", 1)[0])


def one_size(size: int, work: Path) -> dict[str, Any]:
    employees = 20
    folder = work / f"backup-{size}"
    with stack(Ports.free(), work / f"stack-{size}", prefix="wecare_restore_bench_",
               extra_env={"LOG_LEVEL": "WARNING"}) as s:
        started = time.monotonic()
        load(s, employees, -(-size // employees))
        loading = time.monotonic() - started
        backed = make(["backup", "--to", str(folder)], s.database_url)
    # the database is dropped with the stack: restore into a new one
    database = "wecare_restore_bench_" + uuid.uuid4().hex[:8]
    psql("postgres", f'CREATE DATABASE "{database}"')
    try:
        restored = make(["restore", str(folder)], f"{PG}/{database}")
    finally:
        psql("postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    return {"size": size, "load": loading, "backup": seconds_in(backed, "backed up"),
            "restore": seconds_in(restored, "restored"), "mb": size_mb,
            "counts": restored.split(": ", 1)[1].split(";")[0]}


def main() -> int:
    sizes = [int(n) for n in os.environ.get("BENCH_RESTORE_SIZES", "1000,10000").split(",")]
    work = ROOT / "var/bench-restore"
    work.mkdir(parents=True, exist_ok=True)
    rows = [one_size(size, work) for size in sizes]
    print(f"\n{'vouchers':>9} {'loaded in':>10} {'backup':>8} {'dump':>8} {'restore':>8} "
          f"{'target':>8}  restored")
    for r in rows:
        print(f"{r['size']:>9,} {r['load']:>9.0f}s {r['backup']:>7.1f}s {r['mb']:>6.1f}MB "
              f"{r['restore']:>7.1f}s {'≤ ' + str(TARGET_RESTORE_S) + 's':>8}  {r['counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
