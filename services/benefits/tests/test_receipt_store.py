"""Receipts kept in the database by default: any replica reads what another
wrote, a key is written once, and no file is written anywhere."""

from __future__ import annotations

import pytest
from benefits.storage import DatabaseReceiptStore, LocalReceiptStore, receipt_store


def test_two_replicas_share_the_receipts_and_write_no_file(engines, tmp_path,
                                                           monkeypatch) -> None:
    monkeypatch.delenv("WECARE_RECEIPTS_STORE", raising=False)
    monkeypatch.setenv("WECARE_RECEIPTS_DIR", str(tmp_path))
    one, two = receipt_store(), receipt_store()  # as two pods would make them
    assert isinstance(one, DatabaseReceiptStore) and isinstance(two, DatabaseReceiptStore)
    one.put("c1/e1/r1.pdf", b"%PDF-1.4 first")
    assert two.get("c1/e1/r1.pdf") == b"%PDF-1.4 first"
    one.put("c1/e1/r1.pdf", b"%PDF-1.4 again")  # a retry of the same request
    assert two.get("c1/e1/r1.pdf") == b"%PDF-1.4 first"
    with pytest.raises(KeyError):
        two.get("c1/e1/none.pdf")
    assert list(tmp_path.iterdir()) == []
    for store in (one, two):
        store.engine.dispose()


def test_a_local_folder_on_request(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WECARE_RECEIPTS_STORE", "local")
    monkeypatch.setenv("WECARE_RECEIPTS_DIR", str(tmp_path))
    store = receipt_store()
    assert isinstance(store, LocalReceiptStore)
    store.put("c1/r.png", b"\x89PNG")
    assert store.get("c1/r.png") == b"\x89PNG" and (tmp_path / "c1/r.png").exists()
