"""Where receipts are kept: a small adapter with two methods. The service's own
database by default (`WECARE_RECEIPTS_STORE=database`): every replica sees every
receipt and no pod needs a writable disk; a local folder on request
(`WECARE_RECEIPTS_STORE=local`, `WECARE_RECEIPTS_DIR`). An S3-compatible bucket
would fit the same two methods."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from nameko.extensions import DependencyProvider
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from wecare_common.config import DEFAULT_DATA_DIR, env
from wecare_common.db import insert_ignore, make_engine

from benefits.models import ReceiptFile


class ReceiptStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...


class LocalReceiptStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("a receipt key names a file inside the store")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # all or nothing

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()


class DatabaseReceiptStore:
    """Receipts as rows of the service's own schema, written in a short transaction
    of their own (a key is written once: the same key again changes nothing)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, key: str, data: bytes) -> None:
        with Session(self.engine) as session, session.begin():
            insert_ignore(session, ReceiptFile.__table__, [
                {"key": key, "content": data, "created_at": datetime.now(UTC)}])

    def get(self, key: str) -> bytes:
        with Session(self.engine) as session:
            content = session.scalar(select(ReceiptFile.content).where(ReceiptFile.key == key))
        if content is None:
            raise KeyError(key)
        return bytes(content)


def receipts_dir() -> Path | None:
    """The folder receipts are kept in (`WECARE_RECEIPTS_STORE=local`); None when they are
    rows of the database (make backup copies the one or the other)."""
    if (env("WECARE_RECEIPTS_STORE") or "database") == "local":
        return Path(env("WECARE_RECEIPTS_DIR") or str(DEFAULT_DATA_DIR / "receipts"))
    return None


def receipt_store() -> ReceiptStore:
    folder = receipts_dir()
    if folder is not None:
        return LocalReceiptStore(folder)
    return DatabaseReceiptStore(make_engine("benefits"))


class Receipts(DependencyProvider):
    def setup(self) -> None:
        self.store = receipt_store()

    def stop(self) -> None:
        if isinstance(self.store, DatabaseReceiptStore):
            self.store.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> ReceiptStore:
        return self.store
