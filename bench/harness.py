"""What the benchmarks (and the browser tests) share: the whole of WeCare as
processes on a throwaway PostgreSQL database and RabbitMQ vhost, and a small
client of its API."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts import smtp_sink  # noqa: E402
from scripts.run import (  # noqa: E402
    METRICS_PORTS,
    SERVICES,
    Supervisor,
    exit_reason,
    launch,
    metrics_urls,
    programs,
    wait_healthy,
)

PG = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
AMQP = os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672")
RABBIT_API = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
ADMIN = ("admin@bench.test", "bench-admin-password")


def psql(db: str, sql: str) -> None:
    subprocess.run(["psql", f"{PG}/{db}", "-qc", sql], check=True, capture_output=True)


class Api:
    def __init__(self, url: str) -> None:
        self.url = url + "/api/v1"
        self.http = requests.Session()

    def __call__(self, verb: str, path: str, token: str | None = None,
                 key: str | None = None, **body) -> dict:  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if key:
            headers["Idempotency-Key"] = key
        r = self.http.request(verb, self.url + path, json=body or None, headers=headers,
                              timeout=600)
        if r.status_code >= 400:
            raise RuntimeError(f"{verb} {path}: {r.status_code} {r.text[:500]}")
        return r.json()

    def token(self, email: str, password: str) -> str:
        return self("POST", "/auth/token", email=email, password=password)["access_token"]


@dataclass
class Stack:
    url: str
    database_url: str
    amqp_uri: str
    api: Api
    pids: dict[str, int]  # process name → pid, for CPU accounting
    urls: dict[str, str]  # service → its web address (health, HTTP RPC)
    metrics: dict[str, str] = field(default_factory=dict)  # process → its metrics URL
    env: dict[str, str] = field(default_factory=dict)  # what every process was started with
    mail: Path | None = None  # the local SMTP server's Maildir
    logs: Path | None = None  # one log file per process
    supervisor: Any = None  # with supervise=True: scripts.run's Supervisor (restarts, pids)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)  # name → its process


@dataclass(frozen=True)
class Ports:
    """Where the stack's processes listen. The defaults are the benchmarks' own;
    Ports.free() picks unused ones, so a stack can run beside `make run` or another stack."""

    gateway: int = 8090
    catalog: int = 8091
    benefits: int = 8092
    wallet: int = 8093
    notifications: int = 8094
    web: int = 8089  # clear of 8095+, where bench-notifications starts its extra replicas
    smtp: int = 8025
    # where each process serves its metrics (<NAME>_METRICS_ADDRESS)
    gateway_metrics: int = 9190
    catalog_metrics: int = 9191
    benefits_metrics: int = 9192
    wallet_metrics: int = 9193
    notifications_metrics: int = 9194
    web_metrics: int = 9199

    @classmethod
    def free(cls) -> Ports:
        """Unused ports, each a different one: all held open until every one is drawn (one
        closed at once may be drawn again: two processes of a stack on one port, and a
        service's calls answered by another's 404)."""
        held = []
        try:
            for _ in fields(cls):
                held.append(socket.socket())
                held[-1].bind(("127.0.0.1", 0))
            return cls(*(s.getsockname()[1] for s in held))
        finally:
            for s in held:
                s.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of the stack's processes, this process ("client"), and
    every PostgreSQL and RabbitMQ process on the machine (Linux /proc only)."""
    used = {name: _cpu_of(pid) for name, pid in pids.items()}
    used["client"] = _cpu_of(os.getpid())
    for group, comms in (("postgres", {"postgres"}), ("rabbitmq", {"beam.smp"})):
        used[group] = sum(_cpu_of(int(p.name)) for p in Path("/proc").glob("[0-9]*")
                          if _comm(p) in comms)
    return used


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


@dataclass
class Environment:
    """What a stack's processes share: their variables, where mail and logs go."""

    env: dict[str, str]
    mail: Path
    logs: Path
    url: str  # the gateway's address
    sink: subprocess.Popen  # the local SMTP server


@contextmanager
def environment(ports: Ports | None = None, data_dir: Path | None = None,
                extra_env: dict[str, str] | None = None, prefix: str = "wecare_bench_",
                broker: tuple[str, str] | None = None,
                database_url: str | None = None) -> Iterator[Environment]:
    """A new database and vhost named prefix + a random suffix (dropped on the way out),
    a local SMTP server, and the variables every process of the stack is started with:
    what `stack` starts its processes in (its arguments, below), and what a test that
    starts them itself (tests/lifecycle) starts them in."""
    amqp, rabbit_api = broker or (AMQP, RABBIT_API)
    ports = ports or Ports()
    data_dir = data_dir or ROOT / "var/bench"
    db = prefix + uuid.uuid4().hex[:8]
    if database_url is None:
        psql("postgres", f'CREATE DATABASE "{db}"')
    try:
        requests.put(f"{rabbit_api}/api/vhosts/{db}", timeout=10).raise_for_status()
    except requests.ConnectionError as exc:
        if database_url is None:
            psql("postgres", f'DROP DATABASE IF EXISTS "{db}"')
        raise SystemExit(f"RabbitMQ's management API is not at {rabbit_api} (each benchmark "
                         "runs on its own vhost): rabbitmq-plugins enable rabbitmq_management, "
                         "or set RABBIT_API_URI") from exc
    requests.put(f"{rabbit_api}/api/permissions/{db}/guest",
                 json={"configure": ".*", "write": ".*", "read": ".*"},
                 timeout=10).raise_for_status()
    url = f"http://127.0.0.1:{ports.gateway}"
    env = dict(os.environ, DATABASE_URL=database_url or f"{PG}/{db}",
               WECARE_DATA_DIR=str(data_dir),
               WECARE_ADMIN_EMAIL=ADMIN[0], WECARE_ADMIN_PASSWORD=ADMIN[1], LOG_LEVEL="WARNING",
               WEB_SERVER_ADDRESS=f"127.0.0.1:{ports.gateway}",
               **{f"{name.upper()}_HEALTH_ADDRESS": f"127.0.0.1:{getattr(ports, name)}"
                  for name in ("catalog", "benefits", "wallet", "notifications")},
               # calls between them go to this stack's own services, whatever this
               # process's environment says (an e2e stack in it sets its own)
               **{f"{name.upper()}_URL": f"http://127.0.0.1:{getattr(ports, name)}"
                  for name in ("catalog", "benefits", "wallet", "notifications")},
               **{f"{name.upper()}_METRICS_ADDRESS":
                  f"127.0.0.1:{getattr(ports, name + '_metrics')}" for name in METRICS_PORTS},
               # the web app: listens on WEB_APP_ADDRESS, calls the API at GATEWAY_URL; the
               # gateway forwards page requests to WEB_URL (one origin for pages and /api)
               WEB_APP_ADDRESS=f"127.0.0.1:{ports.web}", WEB_URL=f"http://127.0.0.1:{ports.web}",
               GATEWAY_URL=url, WECARE_PUBLIC_URL=url,
               SMTP_URL=f"smtp://127.0.0.1:{ports.smtp}",
               AMQP_URI=f"{amqp.rstrip('/')}/{db}",
               # development mode, with this stack's own secrets (shared by its processes)
               WECARE_DEV_MODE="1", JWT_SECRET=secrets.token_urlsafe(32),
               WECARE_INTERNAL_TOKEN=secrets.token_urlsafe(32),
               WECARE_LINK_SECRET=secrets.token_urlsafe(32))
    env.update(extra_env or {})
    # each run starts with an empty mailbox: a folder of earlier runs' 10,000s of
    # files would slow the SMTP server's writes and the benchmark's counting
    mail, logs = data_dir / "mail", data_dir / "logs"
    sink = None
    try:
        shutil.rmtree(mail, ignore_errors=True)
        logs.mkdir(parents=True, exist_ok=True)
        sink = subprocess.Popen(smtp_sink.command(ports.smtp, mail), env=env,
                                stdout=open(logs / "smtp.log", "a"), stderr=subprocess.STDOUT)
        yield Environment(env, mail, logs, url, sink)
    finally:
        if sink is not None:
            sink.terminate()
            sink.wait(timeout=30)
        if database_url is None:
            psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        requests.delete(f"{rabbit_api}/api/vhosts/{db}", timeout=10)


@contextmanager
def stack(ports: Ports | None = None, data_dir: Path | None = None,
          extra_env: dict[str, str] | None = None,
          prefix: str = "wecare_bench_", supervise: bool = False,
          broker: tuple[str, str] | None = None,
          database_url: str | None = None) -> Iterator[Stack]:
    """Every service, the gateway and a local SMTP server as processes, on a new database
    and vhost named prefix + a random suffix, dropped on the way out.

    ports: where each listens (default: the benchmarks' fixed ports); data_dir: logs/ and
    mail/ (default var/bench; mail/ starts empty); extra_env: more variables for every
    process (they win over the stack's own); supervise: the services are restarted when
    they die, as under `make run` (the fault tests kill them); broker: (AMQP URI, management
    API URI) of another RabbitMQ than the machine's (the fault tests stop their own);
    database_url: another database than a new PostgreSQL one (`sqlite:///<dir>/wecare.db`:
    a file per service in <dir>, as `make run` does by default)."""
    with environment(ports, data_dir, extra_env, prefix, broker, database_url) as made:
        env, mail, logs, url = made.env, made.mail, made.logs, made.url
        py = sys.executable
        children: list[subprocess.Popen] = []
        supervisor = None
        try:
            subprocess.run([py, "-m", "wecare_common.migrations"], env=env, check=True,
                           capture_output=True)
            subprocess.run([py, "-m", "scripts.topology"], env=env, cwd=ROOT, check=True,
                           capture_output=True)
            if supervise:  # SMTP_URL is set: no sink of its own among the programs
                supervisor = Supervisor(env, logs, programs(env), first_backoff=0.2,
                                        say=lambda line: print(line, flush=True))
                supervisor.start()
                threading.Thread(target=supervisor.run_forever, args=(0.2,),
                                 daemon=True).start()
                services = supervisor.processes()
            else:
                services = launch(env, logs)  # SMTP_URL is set: launch starts no sink of its own
            children += services
            # a machine shared with other work starts six Python processes slowly (seen: over
            # 90 s at a load average of 25 on 2 cores); a stack that fails still says so
            if not wait_healthy(url, children, timeout=240) or not _web_answers(env, children):
                stopped = ", ".join(f"{_name_of(c.args)} {exit_reason(c.returncode)}"
                                    for c in children if c.poll() is not None)
                raise RuntimeError("the services did not start ("
                                   f"{stopped or 'not healthy in time'}); see {logs}")
            pids = {"smtp": made.sink.pid, **{_name_of(child.args): child.pid
                                               for child in children}}
            urls = {name: env[f"{name.upper()}_URL"]
                    for name in ("catalog", "benefits", "wallet", "notifications")}
            yield Stack(url, env["DATABASE_URL"], env["AMQP_URI"], Api(url), pids, urls,
                        metrics_urls(env), env, mail, logs, supervisor,
                        {_name_of(child.args): child for child in children})
        finally:
            if supervisor is not None:
                supervisor.stop()  # its children, restarted ones too
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()


def publish_confirmed(amqp_uri: str, envelopes: list[dict[str, Any]]) -> None:
    """Publish events to `wecare.events` as fast as one connection goes and return once
    RabbitMQ has confirmed every one: publisher confirms, waited for all together at the
    end rather than each in turn (which made the publisher a benchmark's slowest step).

    Never publish without confirms and close: RabbitMQ answers for a message only once it
    confirms it, and a connection closed over messages its quorum queues had not yet taken
    loses them, silently (docs/operations.md#replicas: the 35 emails a two-replica
    bench-notifications once waited for in vain). The outbox relay publishes with confirms
    for the same reason."""
    from kombu import Connection
    from wecare_common.topology import declare_backbone, events_exchange

    unconfirmed = set(range(1, len(envelopes) + 1))  # a confirming channel's tags: 1, 2, …
    refused: list[int] = []
    lowest = [1]

    def answer(refusal: bool) -> Any:
        def confirm(delivery_tag: int, multiple: bool) -> None:
            tags = range(lowest[0], delivery_tag + 1) if multiple else (delivery_tag,)
            for tag in tags:
                if tag in unconfirmed:
                    unconfirmed.discard(tag)
                    if refusal:
                        refused.append(tag)
            while lowest[0] not in unconfirmed and lowest[0] <= len(envelopes):
                lowest[0] += 1
        return confirm

    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        declare_backbone(channel)
        channel.confirm_select()
        channel.events["basic_ack"].add(answer(refusal=False))
        channel.events["basic_nack"].add(answer(refusal=True))
        producer = conn.Producer(channel=channel)
        for envelope in envelopes:
            producer.publish(envelope, exchange=events_exchange, routing_key=envelope["type"],
                             serializer="json", delivery_mode=2, message_id=envelope["id"])
        deadline = time.monotonic() + 120
        while unconfirmed:
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ left {len(unconfirmed)} of {len(envelopes)} "
                                   "events unconfirmed for 120 s")
            conn.drain_events(timeout=5)
    if refused:
        raise RuntimeError(f"RabbitMQ refused {len(refused)} of {len(envelopes)} events")


def _web_answers(env: dict[str, str], children: list[subprocess.Popen],
                 timeout: float = 60) -> bool:
    """When scripts.run starts the web app, wait until its server answers (any status)."""
    if "web" not in {name for name, *_ in SERVICES}:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            return False
        try:
            requests.get(env["WEB_URL"] + "/", timeout=5, allow_redirects=False)
            return True
        except requests.RequestException:
            time.sleep(0.5)
    return False


def _name_of(args: list[str]) -> str:
    """The short name of a child the stack started: the service, or smtp."""
    module = args[-1]
    return module.split(".")[0] if module.endswith(".service") else "smtp"


def vat(n: int) -> str:
    """A valid partita IVA, different for each n."""
    from stdnum import luhn

    base = f"{n:07d}001"
    return base + luhn.calc_check_digit(base)
