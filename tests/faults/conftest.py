"""The fault tests' stack: WeCare as processes (bench/harness.py's stack, on free ports, a
throwaway database and vhost), supervised as under `make run`, so that a killed service
comes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults import broker
from support import harness as harness_module

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def harness() -> Any:
    return harness_module.load()


@pytest.fixture(scope="module")
def own_broker(harness: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A RabbitMQ node of the fault tests' own (scripts/broker.py), which they may
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
