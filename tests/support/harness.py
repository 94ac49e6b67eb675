"""bench/harness.py (WeCare as processes on free ports, a throwaway database and vhost)
loaded for the tests that start a whole stack: the browser, fault and SQLite smoke tests."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
NAME = "wecare_bench_harness"


def load() -> ModuleType:
    """The harness module, once per process. The tests' own PostgreSQL server
    (WECARE_TEST_DATABASE_URL) is the one it makes its databases on."""
    test_db = os.environ.get("WECARE_TEST_DATABASE_URL")
    if test_db and "BENCH_PG_URL" not in os.environ:  # psql wants the server, plain scheme
        os.environ["BENCH_PG_URL"] = (test_db.rsplit("/", 1)[0]
                                      .replace("postgresql+psycopg2://", "postgresql://"))
    if NAME in sys.modules:
        return sys.modules[NAME]
    spec = importlib.util.spec_from_file_location(NAME, ROOT / "bench/harness.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = module
    spec.loader.exec_module(module)
    return module
