"""The fault tests' stack: WeCare as processes (bench/harness.py's stack, on free ports, a
throwaway database and vhost), supervised as under `make run`, so that a killed service
comes back."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_harness() -> Any:
    test_db = os.environ.get("WECARE_TEST_DATABASE_URL")
    if test_db and "BENCH_PG_URL" not in os.environ:  # psql wants the server, plain scheme
        os.environ["BENCH_PG_URL"] = (test_db.rsplit("/", 1)[0]
                                      .replace("postgresql+psycopg2://", "postgresql://"))
    name = "wecare_bench_harness"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench/harness.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def harness() -> Any:
    return _load_harness()


@pytest.fixture(scope="module")
def supervised(harness, tmp_path_factory) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("faults")
    with harness.stack(harness.Ports.free(), data, prefix="wecare_faults_",
                       supervise=True) as running:
        yield running
