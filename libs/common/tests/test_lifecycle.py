"""How a process stops (wecare_common.lifecycle, docs/operations.md#stopping): a real
`nameko run` process is sent SIGTERM while it answers a slow request and handles a
slow event. It goes unready at once and keeps serving through the drain, answering
with `Connection: close`; the request under way is answered; the event under way is
finished and acked once (not cut off and handled again), its outbox event published
before the process exits; the process exits by itself within its grace period. Past
its stop budget, what it held goes back to its queue and the next replica finishes it."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import eventlet
import pytest
import requests
from kombu import Connection, Queue
from nameko.web.handlers import HttpRequestHandler
from sqlalchemy import func, select
from support import free_port
from wecare_common.db import ensure_schema, make_engine
from wecare_common.events import make_envelope
from wecare_common.telemetry import HttpEntrypoint
from wecare_common.topology import declare_backbone, events_exchange

HERE = Path(__file__).resolve().parent


def _load_probe() -> Any:
    """The probe service's module (beside this file; `nameko run` imports it there)."""
    spec = importlib.util.spec_from_file_location("lifecycle_probe", HERE / "lifecycle_probe.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


probe = _load_probe()
DRAIN = 1.5  # WECARE_DRAIN_SECONDS of the process under test
SLOW = 3.0  # how long its request takes
SLOWER = 6.0  # and its event: still under way once the requests are answered
GRACE = 15.0  # its terminationGracePeriodSeconds, as it were


@pytest.fixture
def engine(database_url: str) -> Iterator[Any]:
    engine = make_engine(probe.SCHEMA, database_url)
    ensure_schema(engine, probe.SCHEMA)
    probe.metadata.drop_all(engine)
    probe.metadata.create_all(engine)
    yield engine
    engine.dispose()


class Process:
    """The probe service as `nameko run` runs every WeCare service."""

    def __init__(self, tmp_path: Path, amqp_uri: str, database_url: str,
                 **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = tmp_path / f"probe-{self.port}.yaml"
        config.write_text(f"AMQP_URI: {amqp_uri}\nWEB_SERVER_ADDRESS: 127.0.0.1:{self.port}\n"
                          "serializer: json\n")
        self.log = tmp_path / f"probe-{self.port}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", str(config), "lifecycle_probe"],
            cwd=HERE, env={**os.environ, "DATABASE_URL": database_url,
                           "WECARE_DRAIN_SECONDS": str(DRAIN), **env},
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the probe did not become ready: {self.log.read_text()}")

    def terminate(self) -> float:
        self.process.send_signal(signal.SIGTERM)
        return time.monotonic()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def publish(amqp_uri: str, seconds: float) -> str:
    envelope = make_envelope("probe.slow", {"seconds": seconds}, producer="test",
                             company_id=None)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(envelope, exchange=events_exchange, routing_key="probe.slow",
                                serializer="json", declare=[events_exchange])
    return envelope["id"]


def listen_for_done(amqp_uri: str) -> Queue:
    queue = Queue("test.probe-done", exchange=events_exchange, routing_key="probe.done",
                  durable=True)
    with Connection(amqp_uri) as conn:
        declare_backbone(conn.channel())
        queue.bind(conn.channel()).declare()
    return queue


def messages_in(amqp_uri: str, queue_name: str) -> int:
    """Messages in a queue, ready or held by a consumer (none is consuming when asked)."""
    with Connection(amqp_uri) as conn:
        return conn.channel().queue_declare(queue_name, passive=True).message_count


def handlings_of(engine: Any, event_id: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(probe.handlings)
                           .where(probe.handlings.c.event_id == event_id))


def wait_for(check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.1)


@pytest.mark.integration
def test_sigterm_drains_then_finishes_what_is_under_way(tmp_path, engine, database_url,
                                                         amqp_uri) -> None:
    done_queue = listen_for_done(amqp_uri)
    replica = Process(tmp_path, amqp_uri, database_url)
    try:
        event = publish(amqp_uri, SLOWER)
        wait_for(lambda: handlings_of(engine, event) == 1)  # being handled
        slow = eventlet.spawn(requests.get, f"{replica.url}/slow/{SLOW:.1f}", timeout=30)
        eventlet.sleep(0.3)  # the request is under way
        signalled = replica.terminate()

        # unready at once, alive, and serving: answers close their connection
        ready = requests.get(replica.url + "/health", timeout=5)
        unready_after = time.monotonic() - signalled
        assert ready.status_code == 503 and ready.json()["status"] == "draining"
        assert requests.get(replica.url + "/live", timeout=5).status_code == 200
        served = requests.get(replica.url + "/slow/0.0", timeout=5)
        assert served.status_code == 200 and served.headers["Connection"] == "close"

        answer = slow.wait()
        assert answer.status_code == 200 and answer.text == f"slept {SLOW:g} s"
        code = replica.process.wait(timeout=GRACE)
        stopped_after = time.monotonic() - signalled
    finally:
        replica.close()
    assert code == 0, replica.log.read_text()
    assert unready_after < 1.0
    assert SLOWER - 0.5 <= stopped_after < GRACE, stopped_after
    # the event under way was finished and acked, not put back to be handled again
    assert messages_in(amqp_uri, "lifecycle_probe.on_slow") == 0
    assert handlings_of(engine, event) == 1
    # and what it committed last was published before the process exited
    assert messages_in(amqp_uri, done_queue.name) == 1
    print(f"\nSIGTERM → unready in {unready_after:.2f} s, exited in {stopped_after:.1f} s "
          f"(drain {DRAIN:g} s, a {SLOW:g} s request and a {SLOWER:g} s event finished)")


@pytest.mark.integration
def test_what_outlasts_the_stop_budget_goes_back_to_its_queue(tmp_path, engine, database_url,
                                                               amqp_uri) -> None:
    """A handler slower than WECARE_STOP_SECONDS: the process does not wait for it (the
    grace period's SIGKILL would come); its message is redelivered and finished by the
    next replica."""
    done_queue = listen_for_done(amqp_uri)
    replica = Process(tmp_path, amqp_uri, database_url, WECARE_STOP_SECONDS="1")
    try:
        event = publish(amqp_uri, 8.0)
        wait_for(lambda: handlings_of(engine, event) == 1)
        signalled = replica.terminate()
        replica.process.wait(timeout=GRACE)
        stopped_after = time.monotonic() - signalled
    finally:
        replica.close()
    assert stopped_after < DRAIN + 1 + 3, stopped_after  # drain, budget, and exiting
    assert messages_in(amqp_uri, done_queue.name) == 0  # it did not finish
    assert messages_in(amqp_uri, "lifecycle_probe.on_slow") == 1  # back in its queue

    publish_fast = Process(tmp_path, amqp_uri, database_url)  # the next replica
    try:
        wait_for(lambda: messages_in(amqp_uri, done_queue.name) == 1, timeout=30)
    finally:
        publish_fast.close()
    assert handlings_of(engine, event) == 2


def test_every_http_entrypoint_is_served_by_the_stopping_web_server() -> None:
    """One web server per process, the one that drains: an entrypoint on nameko's own
    would start a second server (or be cut off when the process stops)."""
    from benefits.service import BenefitsService
    from catalog.service import CatalogService
    from gateway.service import GatewayService
    from notifications.service import NotificationsService
    from wallet.service import WalletService
    from web.service import WebService

    for cls in (CatalogService, BenefitsService, WalletService, NotificationsService,
                GatewayService, WebService, probe.LifecycleProbe):
        found = [entrypoint for name in dir(cls)
                 for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ())
                 if isinstance(entrypoint, HttpRequestHandler)]
        assert found and all(isinstance(e, HttpEntrypoint) for e in found), cls.__name__
