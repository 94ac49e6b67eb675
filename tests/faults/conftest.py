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
from faults import broker

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
def own_broker(harness: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A RabbitMQ node of the fault tests' own (tests/faults/broker.py), which they may
    stop; None where RabbitMQ's scripts are not installed (the broker fault is then
    simulated on the shared broker, and the test says so)."""
    if not broker.available():
        yield None
        return
    node = broker.OwnBroker(tmp_path_factory.mktemp("rabbitmq"), harness.free_port(),
                            harness.free_port(), harness.free_port())
    node.start()
    try:
        yield node
    finally:
        node.close()


@pytest.fixture(scope="module")
def supervised(harness: Any, own_broker: Any,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data = tmp_path_factory.mktemp("faults")
    on = (own_broker.amqp_uri, own_broker.api_uri) if own_broker else None
    with harness.stack(harness.Ports.free(), data, prefix="wecare_faults_",
                       supervise=True, broker=on) as running:
        yield running
