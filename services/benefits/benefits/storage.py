"""Where receipts are kept: a small adapter. A local folder by default
(`WECARE_RECEIPTS_DIR`); an S3-compatible bucket is the production choice and
fits the same two methods."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from nameko.extensions import DependencyProvider
from wecare_common.config import DEFAULT_DATA_DIR, env


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


class Receipts(DependencyProvider):
    def setup(self) -> None:
        root = env("WECARE_RECEIPTS_DIR") or str(DEFAULT_DATA_DIR / "receipts")
        self.store = LocalReceiptStore(Path(root))

    def get_dependency(self, worker_ctx: Any) -> ReceiptStore:
        return self.store
