"""What a Kubernetes cluster does with deploy/base that the lifecycle tests need, on one
machine, with processes: each Deployment's replicas (`nameko run`, as the pods run it, on
ports of their own), a Service in front of each (a port whose connections go to the ready
replicas, as kube-proxy sends them), the migration Job (its manifest's own command), and a
RollingUpdate (maxSurge 1, maxUnavailable 0: a new replica started, ready, then an old one
deleted: SIGTERM, and out of its Service a moment later).

The processes run in bench/harness.py's environment (a throwaway database and vhost, an
SMTP sink, the variables), from this checkout or from another version's source tree (an
upgrade's old version: `code`), with the test's own venv."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import eventlet
import requests
import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from scripts.run import SERVICES as PROGRAMS  # noqa: E402

# the Deployments the tests run two replicas of (the web app, a client of the gateway's
# API, is not started: the load does not use pages)
DEPLOYMENTS = ("catalog", "benefits", "wallet", "notifications", "gateway")
CONSUMERS = ("catalog", "wallet", "notifications")  # those with event queues
# the variable each process's web server listens on (its config.yaml)
LISTEN = {"catalog": "CATALOG_HEALTH_ADDRESS", "benefits": "BENEFITS_HEALTH_ADDRESS",
          "wallet": "WALLET_HEALTH_ADDRESS", "notifications": "NOTIFICATIONS_HEALTH_ADDRESS",
          "gateway": "WEB_SERVER_ADDRESS", "web": "WEB_APP_ADDRESS"}
READINESS = {"gateway": "/ready"}  # the Deployments' readinessProbe path; /health otherwise
# where a version's source is, for PYTHONPATH (before the venv's editable installs)
SOURCES = ("libs/common", "services/catalog", "services/benefits", "services/wallet",
           "services/notifications", "gateway", "web")

# The Deployments' readinessProbe (deploy/base): every 2 s, unready after 2 failures; its
# 2 s timeout is 10 here (a loaded machine answers slowly without being unready)
PERIOD, PROBE_TIMEOUT, FAILURES = 2.0, 10.0, 2
# from a pod's deletion until kube-proxy sends it no new connection (a second or more)
PROPAGATION = 1.0
# WECARE_DRAIN_SECONDS here (8 in the ConfigMap): longer than PROPAGATION, so that no
# connection reaches a replica that no longer accepts
DRAIN = 3.0
READY_WITHIN = 600.0  # a replica starting on a loaded machine (2 cores, load 10-40: 4 min seen)
GRACE = 60.0  # terminationGracePeriodSeconds is 30; a loaded machine gets more


class Service:
    """A Service as kube-proxy makes one: each new connection to its port goes to one of
    the endpoints that are ready, in turn; a connection stays with its endpoint until
    either side closes it (each side's close passed on to the other). An endpoint joins
    once its readiness probe answers 200, leaves after FAILURES failed probes in a row,
    and PROPAGATION s after its pod is deleted. A connection that finds no ready endpoint
    is closed (counted in `refused`)."""

    def __init__(self, name: str, port: int, readiness: str) -> None:
        self.name, self.port, self.readiness = name, port, readiness
        self.endpoints: dict[int, int] = {}  # port → failed probes in a row (-1: not yet ready)
        self.refused = 0
        self.turn = 0
        self.closed = False
        self.server = eventlet.listen(("127.0.0.1", port))
        self.threads = [eventlet.spawn(self._accept), eventlet.spawn(self._probing)]

    def add(self, port: int) -> None:
        self.endpoints[port] = -1

    def delete(self, port: int) -> None:
        eventlet.spawn_after(PROPAGATION, self.endpoints.pop, port, None)

    def ready(self, port: int) -> bool:
        return 0 <= self.endpoints.get(port, -1) < FAILURES

    def close(self) -> None:
        self.closed = True
        for thread in self.threads:
            thread.kill()
        self.server.close()

    # -- readiness ----------------------------------------------------------------------
    def _probing(self) -> None:
        pool = eventlet.GreenPool()
        while not self.closed:
            for port in list(self.endpoints):
                pool.spawn_n(self._probe, port)
            eventlet.sleep(PERIOD)

    def _probe(self, port: int) -> None:
        try:
            ok = requests.get(f"http://127.0.0.1:{port}{self.readiness}",
                              timeout=PROBE_TIMEOUT).status_code == 200
        except requests.RequestException:
            ok = False
        if port not in self.endpoints:
            return
        if ok:
            self.endpoints[port] = 0
        elif self.endpoints[port] >= 0:
            self.endpoints[port] += 1

    # -- forwarding ---------------------------------------------------------------------
    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            eventlet.spawn_n(self._forward, client)

    def _forward(self, client: Any) -> None:
        ready = [port for port in list(self.endpoints) if self.ready(port)]
        if not ready:
            self.refused += 1
            client.close()
            return
        self.turn += 1
        try:
            upstream = eventlet.connect(("127.0.0.1", ready[self.turn % len(ready)]))
        except OSError:
            self.refused += 1
            client.close()
            return
        pumps = [eventlet.spawn(_pump, client, upstream), eventlet.spawn(_pump, upstream, client)]
        for pump in pumps:
            pump.wait()
        client.close()
        upstream.close()


def _pump(source: Any, sink: Any) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    try:
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


@dataclass
class Replica:
    deployment: str
    name: str  # wallet-3: the third replica the Deployment started
    port: int
    process: subprocess.Popen
    log: Path
    code: Path  # the source tree it runs from

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Roll:
    """What a RollingUpdate of one Deployment took."""

    deployment: str
    seconds: float = 0.0
    ready_s: list[float] = field(default_factory=list)  # each new replica: start → ready
    exit_s: list[float] = field(default_factory=list)  # each old one: SIGTERM → exited


class Deployment:
    def __init__(self, cluster: Cluster, name: str, service_port: int) -> None:
        self.cluster, self.name = cluster, name
        self.config, self.module = next((cfg, module) for program, cfg, module in PROGRAMS
                                        if program == name)
        self.service = Service(name, service_port, READINESS.get(name, "/health"))
        self.replicas: list[Replica] = []
        self.started = 0

    def start(self, code: Path) -> Replica:
        """A new replica (not waited for: `wait_ready`)."""
        self.started += 1
        port = _free_port()
        env = dict(self.cluster.env, **{
            LISTEN[self.name]: f"127.0.0.1:{port}",
            f"{self.name.upper()}_METRICS_ADDRESS": f"127.0.0.1:{_free_port()}"})
        if code != ROOT:
            env["PYTHONPATH"] = os.pathsep.join(str(code / s) for s in SOURCES)
        name = f"{self.name}-{self.started}"
        log = self.cluster.logs / f"{name}.log"
        with open(log, "a") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", self.config, self.module],
                cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT)
        replica = Replica(self.name, name, port, process, log, code)
        self.replicas.append(replica)
        self.service.add(port)
        return replica

    def wait_ready(self, replica: Replica) -> float:
        """Seconds until its Service counts it ready (its readiness probe answered 200)."""
        started = time.monotonic()
        while not self.service.ready(replica.port):
            if replica.process.poll() is not None:
                raise AssertionError(f"{replica.name} stopped ({replica.process.returncode}): "
                                     + _tail(replica.log))
            if time.monotonic() - started > READY_WITHIN:
                raise AssertionError(f"{replica.name} not ready in {READY_WITHIN:.0f} s: "
                                     + _tail(replica.log))
            eventlet.sleep(0.2)
        return time.monotonic() - started

    def delete(self, replica: Replica) -> float:
        """The pod deleted: SIGTERM, out of its Service a moment later; seconds until the
        process exited by itself (it must, with 0, inside the grace period)."""
        self.service.delete(replica.port)
        signalled = time.monotonic()
        replica.process.send_signal(signal.SIGTERM)
        while replica.process.poll() is None:
            if time.monotonic() - signalled > GRACE:
                replica.process.kill()
                raise AssertionError(f"{replica.name} still running {GRACE:.0f} s after "
                                     "SIGTERM: " + _tail(replica.log))
            eventlet.sleep(0.1)
        self.replicas.remove(replica)
        assert replica.process.returncode == 0, (
            f"{replica.name} exited {replica.process.returncode}: " + _tail(replica.log))
        return time.monotonic() - signalled

    def replace(self, old: Replica, code: Path | None = None) -> tuple[float, float]:
        """One step of a RollingUpdate (maxSurge 1, maxUnavailable 0): a new replica
        started and ready, then `old` deleted; (seconds to ready, seconds to exit)."""
        new = self.start(code or old.code)
        ready = self.wait_ready(new)
        return ready, self.delete(old)

    def roll(self, code: Path | None = None) -> Roll:
        """A RollingUpdate: every replica there was replaced, one at a time."""
        done, started = Roll(self.name), time.monotonic()
        for old in list(self.replicas):
            ready, exited = self.replace(old, code)
            done.ready_s.append(ready)
            done.exit_s.append(exited)
        done.seconds = time.monotonic() - started
        return done


@dataclass
class Cluster:
    """What the careful clients need of a stack (as bench/harness.py's Stack: url, api,
    mail, amqp_uri), and the Deployments."""

    url: str
    api: Any
    mail: Path
    logs: Path
    amqp_uri: str
    database_url: str
    env: dict[str, str]
    deployments: dict[str, Deployment] = field(default_factory=dict)

    def job(self, code: Path = ROOT) -> float:
        """The migration Job (deploy/base/migrate-job.yaml's command) of the version in
        `code`; its seconds."""
        return run_job(self.env, code, self.logs)

    def wait_healthy(self, timeout: float = READY_WITHIN) -> None:
        """The gateway's /health 200: every service answers through its Service."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/health", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                pass
            eventlet.sleep(0.5)
        raise AssertionError(f"the gateway's /health not 200 in {timeout:.0f} s; see {self.logs}")

    def nothing_waits(self, rabbit_api: str, timeout: float = 60) -> dict[str, int]:
        """Events still on their way (unsent outbox rows, messages in a queue but the
        unrouted ones), after waiting up to `timeout` s for them to go: {} when none."""
        from faults.careful import rabbit

        deadline = time.monotonic() + timeout
        while True:
            waiting: dict[str, int] = {}
            engine = create_engine(self.database_url)
            with engine.connect() as conn:
                for schema in ("catalog", "benefits", "wallet", "notifications", "gateway"):
                    unsent = conn.scalar(text(
                        f"SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL"))
                    if unsent:
                        waiting[f"{schema}.outbox"] = unsent
            engine.dispose()
            vhost = quote(urlparse(self.amqp_uri).path.lstrip("/"), safe="")
            queues = rabbit(rabbit_api, "GET", f"/queues/{vhost}").json()
            waiting |= {q["name"]: q.get("messages", 0) for q in queues
                        if q.get("messages", 0) and q["name"] != "wecare.unrouted"}
            if not waiting or time.monotonic() > deadline:
                return waiting
            eventlet.sleep(2)


def job_command(code: Path = ROOT) -> list[str]:
    """The migration Job's command, as the version in `code` declares it."""
    manifest = yaml.safe_load((code / "deploy/base/migrate-job.yaml").read_text())
    return manifest["spec"]["template"]["spec"]["containers"][0]["command"]


def run_job(env: dict[str, str], code: Path, logs: Path) -> float:
    started = time.monotonic()
    job_env = dict(env, PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    if code != ROOT:
        job_env["PYTHONPATH"] = os.pathsep.join(str(code / s) for s in SOURCES)
    log = logs / "migrate-job.log"
    with open(log, "a") as out:  # waited for by polling: the load's green threads run on
        job = subprocess.Popen(job_command(code), cwd=code, env=job_env, stdout=out,
                               stderr=subprocess.STDOUT)
    while job.poll() is None:
        eventlet.sleep(0.2)
    assert job.returncode == 0, f"the migration Job failed: {_tail(log)}"
    return time.monotonic() - started


@contextmanager
def cluster(harness: Any, data_dir: Path, code: Path = ROOT, replicas: int = 2,
            extra_env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """Every Deployment of DEPLOYMENTS with `replicas` replicas of the version in `code`,
    each behind its Service, on a throwaway database and vhost (its migration Job run
    first); every process stopped on the way out."""
    ports = harness.Ports.free()
    env = {"WECARE_DRAIN_SECONDS": str(DRAIN),
           # 10 processes on the tests' shared PostgreSQL: small pools
           "WECARE_DB_POOL_SIZE": "3", "WECARE_DB_MAX_OVERFLOW": "7", **(extra_env or {})}
    with harness.environment(ports, data_dir, env, prefix="wecare_lifecycle_") as made:
        made.logs.mkdir(parents=True, exist_ok=True)
        running = Cluster(made.url, harness.Api(made.url), made.mail, made.logs,
                          made.env["AMQP_URI"], made.env["DATABASE_URL"], made.env)
        try:
            running.job(code)
            for name in DEPLOYMENTS:
                running.deployments[name] = Deployment(running, name, getattr(ports, name))
            # in waves, one replica of each Deployment at a time: two gateways starting
            # at once both created the first admin, and one died, until users.ensure_admin
            # allowed for it; an upgrade's previous version may be older than that
            for _ in range(replicas):
                wave = [(d, d.start(code)) for d in running.deployments.values()]
                for deployment, replica in wave:
                    deployment.wait_ready(replica)
            running.wait_healthy()
            yield running
        finally:
            for deployment in running.deployments.values():
                deployment.service.close()
                for replica in deployment.replicas:
                    if replica.process.poll() is None:
                        replica.process.send_signal(signal.SIGTERM)
            for deployment in running.deployments.values():
                for replica in deployment.replicas:
                    try:
                        replica.process.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        replica.process.kill()
                        replica.process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
