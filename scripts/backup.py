"""`make backup` / `make restore` (docs/operations.md#backup-and-restore).

    python -m scripts.backup backup [--to DIR]       every service's schema (pg_dump, one
                                                     snapshot) and the receipts folder when
                                                     WECARE_RECEIPTS_STORE=local
    python -m scripts.backup restore DIR [--clean]   all of it back (pg_restore, one transaction)

Both read DATABASE_URL (PostgreSQL). A backup is a folder: `wecare.dump` (pg_dump's custom
format), `receipts.tar.gz` (local receipts only) and `manifest.json` (when, each schema's
migration, what it holds). Restoring puts the events the services published in the hour
before the backup (WECARE_RESTORE_REPLAY_MINUTES) back in their outboxes: an event whose
consumer had not yet handled it when the snapshot was taken is handled after the restore;
one it had handled is in its inbox, so handling it again changes nothing."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
from benefits.storage import receipts_dir
from wecare_common.config import env
from wecare_common.migrations import SERVICES

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = SERVICES  # one schema per service, named after it
DUMP, RECEIPTS, MANIFEST = "wecare.dump", "receipts.tar.gz", "manifest.json"
# what the manifest counts, to say what a restore brought back
COUNTED = {"vouchers": "wallet.vouchers", "postings": "wallet.postings",
           "grants": "benefits.grants", "reimbursements": "benefits.reimbursements",
           "employees": "benefits.employees", "offerings": "catalog.offerings"}


class BackupError(RuntimeError):
    """What the operator must change before trying again."""


def libpq_url(url: str | None) -> str:
    """DATABASE_URL as pg_dump and psycopg2 take it."""
    if not url or not url.startswith(("postgresql", "postgres://")):
        raise BackupError("make backup and make restore need DATABASE_URL naming the PostgreSQL "
                          "database (postgresql://user:password@host:5432/wecare); make run's "
                          "SQLite files are the folder var/ itself")
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme != "postgresql" else url


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    conn.close()
    return rows


def present_schemas(url: str) -> list[str]:
    names = ", ".join(f"'{schema}'" for schema in SCHEMAS)
    rows = _query(url, f"SELECT nspname FROM pg_namespace WHERE nspname IN ({names})")
    return sorted(row[0] for row in rows)


def describe(url: str) -> dict[str, Any]:
    """Each schema's migration and the counts of COUNTED, as the database holds them now."""
    present = set(present_schemas(url))
    revisions = {schema: _query(url, f'SELECT version_num FROM "{schema}".alembic_version')[0][0]
                 for schema in SCHEMAS if schema in present}
    counts = {name: _query(url, f"SELECT count(*) FROM {table}")[0][0]
              for name, table in COUNTED.items() if table.split(".")[0] in present}
    return {"revisions": revisions, "counts": counts}


def backup(target: Path | None = None) -> Path:
    url = libpq_url(env("DATABASE_URL"))
    missing = sorted(set(SCHEMAS) - set(present_schemas(url)))
    if missing:
        raise BackupError(f"the database has no schema {', '.join(missing)}: is DATABASE_URL "
                          "WeCare's database (migrated)?")
    taken_at = datetime.now(UTC)
    target = target or ROOT / "var/backups" / taken_at.strftime("%Y%m%dT%H%M%SZ")
    target.mkdir(parents=True, exist_ok=False)
    started = time.monotonic()
    # one snapshot across every schema: the services' data agree with one another
    subprocess.run(["pg_dump", "--format=custom", f"--file={target / DUMP}",
                    *[f"--schema={schema}" for schema in SCHEMAS], url], check=True)
    folder = receipts_dir()
    if folder is not None:  # after the dump: every receipt the dump names is in the folder
        with tarfile.open(target / RECEIPTS, "w:gz") as tar:
            if folder.is_dir():
                tar.add(folder, arcname=".")
    manifest = {"taken_at": taken_at.isoformat(), "schemas": list(SCHEMAS),
                "receipts": "local" if folder is not None else "database",
                "seconds": round(time.monotonic() - started, 2),
                "bytes": sum(p.stat().st_size for p in target.iterdir()), **describe(url)}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return target


def replay_window() -> timedelta:
    return timedelta(minutes=int(env("WECARE_RESTORE_REPLAY_MINUTES", "60")))


def restore(source: Path, clean: bool = False) -> dict[str, Any]:
    """The backup in `source` back into DATABASE_URL (and the receipts folder), all or nothing;
    what it holds and how long it took."""
    url = libpq_url(env("DATABASE_URL"))
    manifest = json.loads((source / MANIFEST).read_text())
    folder = receipts_dir()
    if manifest["receipts"] == "local" and folder is None:
        raise BackupError("this backup's receipts were files (WECARE_RECEIPTS_STORE=local): "
                          "set it, and WECARE_RECEIPTS_DIR, as the services will run")
    present = present_schemas(url)
    if present and not clean:
        raise BackupError(f"the database already holds {', '.join(present)}: restore into a "
                          "new database, or replace them with make restore CLEAN=1 (WeCare "
                          "stopped first)")
    started = time.monotonic()
    # one transaction: a failure leaves the database as it was
    subprocess.run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error",
                    "--single-transaction", *(["--clean", "--if-exists"] if present else []),
                    f"--dbname={url}", str(source / DUMP)], check=True)
    since = datetime.fromisoformat(manifest["taken_at"]) - replay_window()
    replayed = 0
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for schema in SCHEMAS:
            cur.execute("SELECT to_regclass(%s)", (f'"{schema}".outbox',))
            if cur.fetchone()[0] is not None:
                cur.execute(f'UPDATE "{schema}".outbox SET sent_at = NULL WHERE sent_at >= %s',
                            (since,))
                replayed += cur.rowcount
    conn.close()
    if folder is not None and (source / RECEIPTS).exists():
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(source / RECEIPTS, "r:gz") as tar:
            tar.extractall(folder, filter="data")
    restored = describe(url)
    if restored["counts"] != manifest["counts"]:
        raise BackupError(f"restored {restored['counts']}, the backup held {manifest['counts']}")
    return {**restored, "seconds": time.monotonic() - started, "replayed": replayed,
            "taken_at": manifest["taken_at"]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.backup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    taking = commands.add_parser("backup", help="back up every schema and the receipts")
    taking.add_argument("--to", type=Path, help="the folder (default var/backups/<time>)")
    giving = commands.add_parser("restore", help="restore a backup folder")
    giving.add_argument("source", type=Path)
    giving.add_argument("--clean", action="store_true",
                        help="replace the schemas the database already holds")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    try:
        if args.command == "backup":
            folder = backup(args.to)
            manifest = json.loads((folder / MANIFEST).read_text())
            print(f"backed up to {folder}: {manifest['bytes'] / 1e6:.1f} MB in "
                  f"{manifest['seconds']:.1f} s; {manifest['counts']}")
            print(f"restore with: make restore FROM={folder}")
        else:
            done = restore(args.source, args.clean)
            print(f"restored {args.source} (taken {done['taken_at']}) in {done['seconds']:.1f} s: "
                  f"{done['counts']}; {done['replayed']} recent event(s) to publish again")
            print("then: make migrate (a backup of an older version), and start WeCare")
    except BackupError as problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
