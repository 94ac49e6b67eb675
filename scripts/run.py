"""`make run`: migrate, declare the event topology, start every service and the
gateway, seed a demo through the public API, print the URL and the logins.
A service that stops is started again (with backoff, logged); Ctrl-C stops
everything."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
from kombu import Connection

from scripts import broker, image, smtp_sink

ROOT = Path(__file__).resolve().parent.parent
SERVICES = [
    ("catalog", "services/catalog/config.yaml", "catalog.service"),
    ("benefits", "services/benefits/config.yaml", "benefits.service"),
    ("wallet", "services/wallet/config.yaml", "wallet.service"),
    ("notifications", "services/notifications/config.yaml", "notifications.service"),
    ("gateway", "gateway/config.yaml", "gateway.service"),
    ("web", "web/config.yaml", "web.service"),
]
# each service's web server (health probe, HTTP RPC), as in its config.yaml
WEB_PORTS = {"catalog": 8001, "benefits": 8002, "wallet": 8003, "notifications": 8004}
# where each process serves its metrics (<NAME>_METRICS_ADDRESS; docs/operations.md#metrics)
METRICS_PORTS = {"gateway": 9180, "catalog": 9181, "benefits": 9182, "wallet": 9183,
                 "notifications": 9184, "web": 9189}
BROKER_METRICS = "http://127.0.0.1:15692/metrics/detailed?family=queue_coarse_metrics"
DEV_SECRETS = ("JWT_SECRET", "WECARE_INTERNAL_TOKEN", "WECARE_LINK_SECRET")


def dev_mode_in(env: dict[str, str]) -> bool:
    return env.get("WECARE_DEV_MODE", "").lower() in ("1", "true", "yes", "on")


def dev_secrets(data_dir: Path) -> dict[str, str]:
    """Random secrets for development mode, made once per data dir and kept there
    (dev-secrets.json, readable by its owner only): a restart keeps sessions signed in.
    Never a built-in value."""
    path = data_dir / "dev-secrets.json"
    try:
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        kept = {}
    made = {name: kept.get(name) or secrets.token_urlsafe(32) for name in DEV_SECRETS}
    if made != kept:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(made, f)
    return made


def broker_reachable(uri: str) -> bool:
    try:
        with Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def broker_plan(env: dict[str, str], uri_given: bool) -> broker.Plan:
    """What to do when no broker answers at AMQP_URI (scripts/broker.py's plan, with what
    this machine has)."""
    return broker.plan(
        env["AMQP_URI"], uri_given=uri_given, port_answers=broker.port_open(5672),
        installed=broker.available(),
        engine=image.choose_engine(None, image.docker_answers, shutil.which),
        install=broker.install_command(broker.os_release()))


def main() -> int:
    os.chdir(ROOT)
    env = dict(os.environ)
    uri_given = "AMQP_URI" in env
    env.setdefault("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672//")
    env.setdefault("WECARE_ADMIN_EMAIL", "admin@wecare.demo")
    env.setdefault("WECARE_ADMIN_PASSWORD", "wecare-admin-demo")
    env.setdefault("WECARE_DATA_DIR", str(ROOT / "var"))
    address = env.setdefault("WEB_SERVER_ADDRESS", "0.0.0.0:8000")
    port = address.rsplit(":", 1)[1]
    url = f"http://localhost:{port}"
    env.setdefault("WECARE_PUBLIC_URL", url)
    Path(env["WECARE_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    # a developer's machine: development mode, and secrets of this data dir's own
    env.setdefault("WECARE_DEV_MODE", "1")
    if dev_mode_in(env):
        for name, value in dev_secrets(Path(env["WECARE_DATA_DIR"])).items():
            env.setdefault(name, value)

    own_broker = None
    if not broker_reachable(env["AMQP_URI"]):
        plan = broker_plan(env, uri_given)
        if plan.action != "own":
            print(plan.message, file=sys.stderr)
            return 1
        print(f"· {plan.message}", flush=True)
        own_broker = broker.RunBroker(Path(env["WECARE_DATA_DIR"]))
        env["AMQP_URI"] = own_broker.start()
        print(f"· RabbitMQ of make run's own at {env['AMQP_URI']}", flush=True)
    try:
        return run(env, url)
    finally:
        if own_broker is not None:
            own_broker.stop()


def run(env: dict[str, str], url: str) -> int:
    """Migrate, declare, start everything, seed the demo, and wait for Ctrl-C."""
    py = sys.executable
    print("· migrating each service's schema")
    subprocess.run([py, "-m", "wecare_common.migrations"], env=env, check=True)
    print("· declaring the event topology")
    subprocess.run([py, "-m", "scripts.topology"], env=env, check=True, cwd=ROOT)

    logs = Path(env["WECARE_DATA_DIR"]) / "logs"
    supervisor = Supervisor(env, logs, programs(env))
    print(f"· starting {len(SERVICES)} services (logs in {logs})")
    supervisor.start()

    signal.signal(signal.SIGTERM, lambda *a: (supervisor.stop(), sys.exit(0)))
    # Ctrl-C reaches the whole process group; take it even where a shell
    # started us with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if not wait_healthy(url, supervisor.processes()):
            print(f"WeCare did not become healthy; see {logs}", file=sys.stderr)
            for name in supervisor.exited():
                print(f"{name} stopped at start; the end of {logs / (name + '.log')}:\n"
                      + tail(logs / f"{name}.log"), file=sys.stderr)
            return 1
        from scripts.seed import seed

        logins = seed(url, env["WECARE_ADMIN_EMAIL"], env["WECARE_ADMIN_PASSWORD"])
        print(f"\nWeCare is running: open {url} in your browser")
        print("Demo logins (sign in on that page, or POST /api/v1/auth/token):")
        for role, email, password in logins:
            print(f"  {role:<9} {email:<34} {password}")
        print(f"API: {url}/api/v1 (readable list at {url}/api/docs)")
        print("Metrics (Prometheus text format; docs/operations.md#metrics):")
        for name, address in metrics_urls(env).items():
            print(f"  {name:<13} {address}")
        print(f"  {'rabbitmq':<13} {BROKER_METRICS}\n"
              f"  {'':<13} (queue depths: the broker's rabbitmq_prometheus plugin, when enabled)")
        print(f"Emails land in {env['WECARE_DATA_DIR']}/mail (a local SMTP sink) "
              "unless SMTP_URL is set.\nA service that stops is started again. "
              "Ctrl-C stops everything.", flush=True)
        supervisor.run_forever()
        return 0
    except KeyboardInterrupt:
        print("\nstopping…")
        return 0
    finally:
        supervisor.stop()


def programs(env: dict[str, str]) -> list[tuple[str, list[str], str | None]]:
    """What `make run` starts: (name, command, health URL), a local SMTP sink first
    when SMTP_URL is not set. Sets in `env` the addresses they find each other by."""
    py = sys.executable
    made: list[tuple[str, list[str], str | None]] = []
    if "SMTP_URL" not in env:
        mail = Path(env["WECARE_DATA_DIR"]) / "mail"
        sink_port = int(env.get("SMTP_SINK_PORT", "8025"))
        env["SMTP_URL"] = f"smtp://127.0.0.1:{sink_port}"
        made.append(("smtp", smtp_sink.command(sink_port, mail), None))
    # calls between services go over HTTP (wecare_common.rpc): each service's web address
    for name, port in WEB_PORTS.items():
        address = env.get(f"{name.upper()}_HEALTH_ADDRESS", f"127.0.0.1:{port}")
        env.setdefault(f"{name.upper()}_URL", "http://" + address.replace("0.0.0.0", "127.0.0.1"))
    # the web app: the gateway forwards pages to it; it calls the gateway's API
    web_address = env.setdefault("WEB_APP_ADDRESS", "127.0.0.1:8009")
    env.setdefault("WEB_URL", "http://" + web_address.replace("0.0.0.0", "127.0.0.1"))
    gateway_port = env.get("WEB_SERVER_ADDRESS", "0.0.0.0:8000").rsplit(":", 1)[1]
    env.setdefault("GATEWAY_URL", f"http://127.0.0.1:{gateway_port}")
    # each process's metrics on an address of its own, never one the gateway forwards to
    if not env.get("WECARE_METRICS_ADDRESS"):
        for name, port in METRICS_PORTS.items():
            env.setdefault(f"{name.upper()}_METRICS_ADDRESS", f"127.0.0.1:{port}")
    health = {name: env[f"{name.upper()}_URL"] + "/health" for name in WEB_PORTS}
    health |= {"gateway": env["GATEWAY_URL"] + "/health", "web": env["WEB_URL"] + "/health"}
    for name, cfg, module in SERVICES:
        made.append((name, [py, "-m", "nameko", "run", "--config", cfg, module],
                     health.get(name)))
    return made


def metrics_urls(env: dict[str, str]) -> dict[str, str]:
    """Each process's metrics address, as `programs` set it."""
    found = {}
    for name in METRICS_PORTS:
        address = env.get(f"{name.upper()}_METRICS_ADDRESS") or env.get("WECARE_METRICS_ADDRESS")
        if address:
            found[name] = "http://" + address.replace("0.0.0.0", "127.0.0.1") + "/metrics"
    return found


def launch(env: dict[str, str], logs: Path) -> list[subprocess.Popen]:
    """Start every service (and, without SMTP_URL, a local SMTP sink) once, unsupervised
    (the benchmarks' harness watches them itself)."""
    logs.mkdir(parents=True, exist_ok=True)
    return [spawn(command, env, logs / f"{name}.log") for name, command, _ in programs(env)]


def _die_with_parent() -> None:
    """In the child (Linux): SIGTERM when make run itself dies, even by `kill -9`."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "a") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Child:
    def __init__(self, name: str, command: list[str], health_url: str | None) -> None:
        self.name, self.command, self.health_url = name, command, health_url
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.restarts = 0
        self.due: float | None = None  # when a stopped child starts again
        self.down_since: float | None = None  # it stopped; not healthy since
        self.backoff = 0.0


class Supervisor:
    """Keeps every program running, as Kubernetes keeps a pod's container: one that
    stops is started again after a backoff (0.5 s, doubling up to 30 s; back to 0.5 s once
    it has run for a minute), each stop, restart and return to health logged here and
    in its own log. `stop()` ends them all (SIGTERM, then SIGKILL after 10 s)."""

    def __init__(self, env: dict[str, str], logs: Path,
                 programs: list[tuple[str, list[str], str | None]], *,
                 first_backoff: float = 0.5, max_backoff: float = 30.0,
                 stable_after: float = 60.0, say: Any = None) -> None:
        self.env, self.logs = env, logs
        self.children = [Child(*program) for program in programs]
        self.first_backoff, self.max_backoff = first_backoff, max_backoff
        self.stable_after = stable_after
        self.say = say or (lambda line: print(line, flush=True))
        self.stopping = False

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for child in self.children:
            child.backoff = self.first_backoff
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.process = spawn(child.command, self.env, self.logs / f"{child.name}.log")
        child.started, child.due = time.monotonic(), None

    def _note(self, child: Child, line: str) -> None:
        self.say(line)
        with open(self.logs / f"{child.name}.log", "a") as log:
            log.write(f"--- supervisor {time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")

    def processes(self) -> list[subprocess.Popen]:
        return [child.process for child in self.children if child.process is not None]

    def exited(self) -> list[str]:
        return [child.name for child in self.children
                if child.process is not None and child.process.poll() is not None]

    def child(self, name: str) -> Child:
        return next(child for child in self.children if child.name == name)

    def check(self) -> None:
        """One look at every program: restart what stopped (when its backoff is over),
        say when a restarted one is healthy again."""
        now = time.monotonic()
        for child in self.children:
            code = child.process.poll() if child.process is not None else None
            if code is not None and not self.stopping:
                ran = now - child.started
                if ran >= self.stable_after:
                    child.backoff = self.first_backoff
                child.restarts += 1
                child.process, child.due = None, now + child.backoff
                child.down_since = child.down_since or now
                self._note(child, f"· {child.name} stopped ({exit_reason(code)}) after "
                                  f"{ran:.0f} s; starting it again in {child.backoff:g} s "
                                  f"(restart {child.restarts})")
                child.backoff = min(child.backoff * 2, self.max_backoff)
            if child.process is None and child.due is not None and now >= child.due:
                self._spawn(child)
            if child.down_since is not None and child.process is not None:
                if child.health_url is None or _answers(child.health_url):
                    self._note(child, f"· {child.name} is back: healthy "
                                      f"{time.monotonic() - child.down_since:.1f} s after it "
                                      "stopped")
                    child.down_since = None

    def run_forever(self, interval: float = 0.5) -> None:
        """Look every `interval` seconds until `stop()`."""
        while not self.stopping:
            self.check()
            time.sleep(interval)

    def stop(self, timeout: float = 10) -> None:
        self.stopping = True
        # a second Ctrl-C (or timeout(1) passing one on) must not cut the stopping short
        shield = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if shield else None
        try:
            running = self.processes()
            for process in running:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            for process in running:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        finally:
            if shield:
                signal.signal(signal.SIGINT, previous)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def wait_healthy(url: str, children: list[subprocess.Popen], timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            return False
        try:
            if requests.get(f"{url}/health", timeout=5).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(1)
    return False


if __name__ == "__main__":
    sys.exit(main())
