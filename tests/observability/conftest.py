"""The observability tests' stack: WeCare as processes (bench/harness.py), each serving
its metrics on a port of its own, logging JSON lines at INFO into its log file, and
exporting traces to a local OTLP collector stand-in (tests/support/otlp_standin.py); the
broker a node of the tests' own with its Prometheus plugin (tests/faults/broker.py), so
the queue depths are the broker's own figures. Without RabbitMQ's scripts here, the shared
broker is used and the broker's metrics are not checked (the test says so)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from faults import broker
from support import harness as harness_module
from support.otlp_standin import Collector


@dataclass
class Observed:
    stack: Any
    collector: Collector
    broker_metrics: str | None  # the broker's per-queue metrics URL, or None


@pytest.fixture(scope="session")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observed]:
    harness = harness_module.load()
    node = None
    if broker.available():
        node = broker.OwnBroker(tmp_path_factory.mktemp("rabbitmq"), harness.free_port(),
                                harness.free_port(), harness.free_port(),
                                prometheus_port=harness.free_port())
        node.start()
    collector = Collector()
    try:
        on = (node.amqp_uri, node.api_uri) if node else None
        with harness.stack(harness.Ports.free(), tmp_path_factory.mktemp("observed"),
                           prefix="wecare_observe_", broker=on, extra_env={
                               "LOG_LEVEL": "INFO", "WECARE_LOG_FORMAT": "json",
                               # as in the cluster's ConfigMap: nameko's import-time
                               # warning about eventlet is not a log line
                               "PYTHONWARNINGS": "ignore::Warning:nameko.extensions",
                               "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                               "OTEL_BSP_SCHEDULE_DELAY": "200",
                               "OTEL_TRACES_SAMPLER": "parentbased_always_on"}) as running:
            vhost = running.amqp_uri.rsplit("/", 1)[1]
            yield Observed(running, collector, (
                f"http://127.0.0.1:{node.prometheus_port}/metrics/detailed"
                f"?vhost={vhost}&family=queue_coarse_metrics") if node else None)
    finally:
        collector.stop()
        if node is not None:
            node.close()
