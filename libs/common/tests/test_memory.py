"""A started service's objects are set aside from the garbage collector's walks."""

from __future__ import annotations

import gc

from wecare_common.memory import settle


def test_settle_freezes_what_is_alive_and_collection_still_frees_the_rest() -> None:
    kept = [object() for _ in range(10)]  # alive when settling: frozen
    try:
        frozen = settle()
        assert frozen == gc.get_freeze_count() > len(kept)

        class Cycle:
            pass

        a, b = Cycle(), Cycle()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        del a, b
        assert gc.collect() >= 2  # garbage made after settling is still collected
    finally:
        gc.unfreeze()
    assert kept
