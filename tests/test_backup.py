"""`make backup` / `make restore` (scripts/backup.py, issue 21.6): vouchers bought, grants,
a receipt; backed up; the database lost; restored into a new one and WeCare started on it:
the ledger audit balances as before, every voucher answers as before (and can still be
redeemed, once), the receipt is the same bytes, recent events are published again without
doing anything twice. With receipts in the database (the default) and in a local folder."""

from __future__ import annotations

import hashlib
import importlib
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from support import harness as harness_module
from wecare_common import signed_vouchers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts import backup  # noqa: E402

pytestmark = pytest.mark.integration
EMPLOYEES, VOUCHERS_EACH, REDEEMED = 4, 10, 5


def restore_bench() -> Any:
    harness_module.load()  # the tests' PostgreSQL server for the bench's psql
    sys.path.insert(0, str(ROOT / "bench"))
    return importlib.import_module("restore_bench")


def answers(s: Any, loaded: Any, bench: Any) -> dict[str, Any]:
    """What people and operators see: each voucher as its owner reads it, each wallet, the
    provider's settlements, the ledger audit, the receipt's bytes."""
    seen: dict[str, Any] = {}
    for person in loaded.employees:
        token = s.api.token(person["email"], "restore-employee-1")  # sign-in works, too
        seen[person["id"]] = {"wallet": s.api("GET", "/me/wallet", token)}
        for voucher in loaded.vouchers:
            if voucher["employee_id"] == person["id"]:
                seen[voucher["id"]] = s.api("GET", f"/me/vouchers/{voucher['id']}", token)
    admin = s.api.token(*harness_module.load().ADMIN)
    seen["audit"] = s.api("GET", "/ledger/audit", admin)
    provider = s.api.token(loaded.provider, bench.PROVIDER_PASSWORD)
    seen["settlements"] = s.api("GET", f"/providers/{loaded.provider_id}/settlements", provider)
    if loaded.reimbursement_id:
        hr = s.api.token(loaded.hr, bench.HR_PASSWORD)
        r = requests.get(f"{s.url}/api/v1/companies/{loaded.company_id}/reimbursements/"
                         f"{loaded.reimbursement_id}/receipt", timeout=30,
                         headers={"Authorization": f"Bearer {hr}"})
        seen["receipt"] = (r.status_code, r.content)
    return seen


def outbox_unsent(database_url: str) -> int:
    return sum(backup._query(backup.libpq_url(database_url),
                             f"SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL")[0][0]
               for schema in ("catalog", "benefits", "wallet"))


def test_a_lost_database_comes_back_from_its_backup(tmp_path: Path) -> None:
    harness, bench = harness_module.load(), restore_bench()
    folder = tmp_path / "backup"
    # the voucher-signing keys are a secret of the deployment, not of the database: the
    # restored system signs with the same ones (each voucher's `signed` QR answers as before)
    keys = {"WECARE_VOUCHER_KEYS": signed_vouchers.new_entry("backup-test", "2000-01-01",
                                                             "2999-12-31")}
    with harness.stack(harness.Ports.free(), tmp_path / "before", extra_env=keys,
                       prefix="wecare_backup_") as s:
        loaded = bench.load(s, EMPLOYEES, VOUCHERS_EACH, REDEEMED, receipt=True)
        before = answers(s, loaded, bench)
        assert before["audit"]["balanced"] is True
        assert before["receipt"] == (200, bench.PNG)
        backed = bench.make(["backup", "--to", str(folder)], s.database_url)
        assert "backed up to" in backed
    # the stack's database is dropped as it stops: lost
    assert f'"vouchers": {EMPLOYEES * VOUCHERS_EACH}' in (folder / backup.MANIFEST).read_text()
    assert not (folder / backup.RECEIPTS).exists()  # receipts are rows of the dump

    with new_database(harness) as url:
        restored = bench.make(["restore", str(folder)], url)
        print(f"\n{restored.splitlines()[0]}")
        assert f"'vouchers': {EMPLOYEES * VOUCHERS_EACH}" in restored
        # the events of the hour before the backup wait to be published again
        assert outbox_unsent(url) > 0
        # a second restore over it is refused unless asked (it would replace what is there)
        with pytest.raises(RuntimeError, match="already holds"):
            bench.make(["restore", str(folder)], url)

        with harness.stack(harness.Ports.free(), tmp_path / "after", extra_env=keys,
                           database_url=url) as s:
            deadline = time.monotonic() + 60
            while outbox_unsent(url) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert outbox_unsent(url) == 0  # published again; consumers had them: no effect
            assert answers(s, loaded, bench) == before
            # a voucher not yet redeemed still is; one redeemed before is refused again
            fresh = next(v for v in loaded.vouchers if v["id"] not in loaded.redeemed)
            again = next(v for v in loaded.vouchers if v["id"] in loaded.redeemed)
            provider = s.api.token(loaded.provider, bench.PROVIDER_PASSWORD)
            s.api("POST", f"/providers/{loaded.provider_id}/redemptions", provider,
                  key=uuid.uuid4().hex, code=fresh["code"])
            with pytest.raises(RuntimeError, match="409"):
                s.api("POST", f"/providers/{loaded.provider_id}/redemptions", provider,
                      key=uuid.uuid4().hex, code=again["code"])
            admin = s.api.token(*harness.ADMIN)
            assert s.api("GET", "/ledger/audit", admin)["balanced"] is True


def test_receipts_kept_as_files_come_back_with_the_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WECARE_RECEIPTS_STORE=local: the folder is in the backup, and back where the services
    look for it; each receipt the restored database names is there, byte for byte."""
    harness, bench = harness_module.load(), restore_bench()
    receipts = tmp_path / "receipts"
    store = {"WECARE_RECEIPTS_STORE": "local", "WECARE_RECEIPTS_DIR": str(receipts)}
    for name, value in store.items():
        monkeypatch.setenv(name, value)  # make backup / make restore see what services see
    folder = tmp_path / "backup"
    with harness.stack(harness.Ports.free(), tmp_path / "before", extra_env=store,
                       prefix="wecare_backup_") as s:
        bench.load(s, 1, 2, receipt=True)
        bench.make(["backup", "--to", str(folder)], s.database_url)
    shutil.rmtree(receipts)  # lost with the database
    assert (folder / backup.RECEIPTS).exists()
    with new_database(harness) as url:
        bench.make(["restore", str(folder)], url)
        ((key, sha256),) = backup._query(backup.libpq_url(url), "SELECT receipt_key, "
                                         "receipt_sha256 FROM benefits.reimbursements")
        assert hashlib.sha256((receipts / key).read_bytes()).hexdigest() == sha256
    # a backup of files restored where the services keep receipts in the database is refused
    monkeypatch.setenv("WECARE_RECEIPTS_STORE", "database")
    with new_database(harness) as url, pytest.raises(RuntimeError, match="RECEIPTS_STORE=local"):
        bench.make(["restore", str(folder)], url)


@contextmanager
def new_database(harness: Any) -> Iterator[str]:
    name = "wecare_restored_" + uuid.uuid4().hex[:8]
    harness.psql("postgres", f'CREATE DATABASE "{name}"')
    try:
        yield f"{harness.PG}/{name}"
    finally:
        harness.psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_and_restore_need_postgresql_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in (None, "sqlite:///var/wecare.db"):
        with pytest.raises(backup.BackupError, match="DATABASE_URL naming the PostgreSQL"):
            backup.libpq_url(url)
    assert backup.libpq_url("postgres://u@h/db") == "postgresql://u@h/db"
    assert backup.libpq_url("postgresql+psycopg2://u@h/db") == "postgresql://u@h/db"
    assert set(backup.SCHEMAS) == {"catalog", "benefits", "wallet", "notifications", "gateway"}
