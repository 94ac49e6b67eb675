"""What the benchmarks share: the whole of WeCare as processes on a throwaway
PostgreSQL database and RabbitMQ vhost, and a small client of its API."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.run import launch, wait_healthy  # noqa: E402

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


@contextmanager
def stack() -> Iterator[Stack]:
    db = "wecare_bench_" + uuid.uuid4().hex[:8]
    psql("postgres", f'CREATE DATABASE "{db}"')
    try:
        requests.put(f"{RABBIT_API}/api/vhosts/{db}", timeout=10).raise_for_status()
    except requests.ConnectionError as exc:
        raise SystemExit(f"RabbitMQ's management API is not at {RABBIT_API} (each benchmark "
                         "runs on its own vhost): rabbitmq-plugins enable rabbitmq_management, "
                         "or set RABBIT_API_URI") from exc
    requests.put(f"{RABBIT_API}/api/permissions/{db}/guest",
                 json={"configure": ".*", "write": ".*", "read": ".*"},
                 timeout=10).raise_for_status()
    env = dict(os.environ, DATABASE_URL=f"{PG}/{db}", WECARE_DATA_DIR=str(ROOT / "var/bench"),
               WECARE_ADMIN_EMAIL=ADMIN[0], WECARE_ADMIN_PASSWORD=ADMIN[1],
               WEB_SERVER_ADDRESS="127.0.0.1:8090", LOG_LEVEL="WARNING",
               CATALOG_HEALTH_ADDRESS="127.0.0.1:8091", BENEFITS_HEALTH_ADDRESS="127.0.0.1:8092",
               WALLET_HEALTH_ADDRESS="127.0.0.1:8093",
               NOTIFICATIONS_HEALTH_ADDRESS="127.0.0.1:8094",
               AMQP_URI=f"{AMQP.rstrip('/')}/{db}")
    env.pop("SMTP_URL", None)  # launch() starts a local SMTP sink
    py = sys.executable
    subprocess.run([py, "-m", "wecare_common.migrations"], env=env, check=True,
                   capture_output=True)
    subprocess.run([py, "-m", "scripts.topology"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    # each run starts with an empty mailbox: a folder of earlier runs' 10,000s of
    # files would slow the SMTP server's writes and the benchmark's counting
    shutil.rmtree(ROOT / "var/bench/mail", ignore_errors=True)
    children = launch(env, ROOT / "var/bench/logs")
    url = "http://127.0.0.1:8090"
    try:
        if not wait_healthy(url, children):
            raise RuntimeError("the services did not start; see var/bench/logs")
        pids = {_name_of(child.args): child.pid for child in children}
        urls = {name: env[f"{name.upper()}_URL"]
                for name in ("catalog", "benefits", "wallet", "notifications")}
        yield Stack(url, env["DATABASE_URL"], env["AMQP_URI"], Api(url), pids, urls)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)
        psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        requests.delete(f"{RABBIT_API}/api/vhosts/{db}", timeout=10)


def _name_of(args: list[str]) -> str:
    """The short name of a child started by `launch`: the service, or smtp."""
    module = args[-1]
    return module.split(".")[0] if module.endswith(".service") else "smtp"


def vat(n: int) -> str:
    """A valid partita IVA, different for each n."""
    from stdnum import luhn

    base = f"{n:07d}001"
    return base + luhn.calc_check_digit(base)
