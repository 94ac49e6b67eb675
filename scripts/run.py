"""`make run`: migrate, declare the event topology, start every service and the
gateway, seed a demo through the public API, print the URL and the logins.
Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from kombu import Connection

from scripts import smtp_sink

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
NO_BROKER = """
RabbitMQ is not reachable at {uri}.
WeCare's services talk through it. Start one, then run `make run` again:
  - Debian/Ubuntu:  sudo apt-get install -y rabbitmq-server && sudo rabbitmq-server -detached
  - macOS:          brew install rabbitmq && brew services start rabbitmq
  - Docker:         docker run -d --name rabbitmq -p 5672:5672 -p 15672:15672 rabbitmq:3-management
or point AMQP_URI at one you have (e.g. AMQP_URI=pyamqp://user:pass@host:5672//).
"""


DEV_SECRETS = ("JWT_SECRET", "WECARE_INTERNAL_TOKEN")


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


def main() -> int:
    os.chdir(ROOT)
    env = dict(os.environ)
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

    if not broker_reachable(env["AMQP_URI"]):
        print(NO_BROKER.format(uri=env["AMQP_URI"]), file=sys.stderr)
        return 1
    py = sys.executable
    print("· migrating each service's schema")
    subprocess.run([py, "-m", "wecare_common.migrations"], env=env, check=True)
    print("· declaring the event topology")
    subprocess.run([py, "-m", "scripts.topology"], env=env, check=True, cwd=ROOT)

    logs = Path(env["WECARE_DATA_DIR"]) / "logs"
    children = launch(env, logs)
    print(f"· starting {len(SERVICES)} services (logs in {logs})")

    def stop(*_: object) -> None:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    # Ctrl-C reaches the whole process group; take it even where a shell
    # started us with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if not wait_healthy(url, children):
            print(f"WeCare did not become healthy; see {logs}", file=sys.stderr)
            stop()
            return 1
        from scripts.seed import seed

        logins = seed(url, env["WECARE_ADMIN_EMAIL"], env["WECARE_ADMIN_PASSWORD"])
        print(f"\nWeCare is running: open {url} in your browser")
        print("Demo logins (sign in on that page, or POST /api/v1/auth/token):")
        for role, email, password in logins:
            print(f"  {role:<9} {email:<34} {password}")
        print(f"API: {url}/api/v1 (readable list at {url}/api/docs)")
        print(f"Emails land in {env['WECARE_DATA_DIR']}/mail (a local SMTP sink) "
              "unless SMTP_URL is set.\nCtrl-C stops everything.")
        while all(child.poll() is None for child in children):
            time.sleep(1)
        print("a service stopped; shutting down", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…")
        return 0
    finally:
        stop()


def launch(env: dict[str, str], logs: Path) -> list[subprocess.Popen]:
    """Start every service (and, without SMTP_URL, a local SMTP sink) as processes."""
    py = sys.executable
    logs.mkdir(parents=True, exist_ok=True)
    children = []
    if "SMTP_URL" not in env:
        mail = Path(env["WECARE_DATA_DIR"]) / "mail"
        env["SMTP_URL"] = "smtp://127.0.0.1:8025"
        children.append(subprocess.Popen(
            smtp_sink.command(8025, mail),
            env=env, stdout=open(logs / "smtp.log", "a"), stderr=subprocess.STDOUT))
    # calls between services go over HTTP (wecare_common.rpc): each service's web address
    for name, port in WEB_PORTS.items():
        address = env.get(f"{name.upper()}_HEALTH_ADDRESS", f"127.0.0.1:{port}")
        env.setdefault(f"{name.upper()}_URL", "http://" + address.replace("0.0.0.0", "127.0.0.1"))
    # the web app: the gateway forwards pages to it; it calls the gateway's API
    web_address = env.setdefault("WEB_APP_ADDRESS", "127.0.0.1:8009")
    env.setdefault("WEB_URL", "http://" + web_address.replace("0.0.0.0", "127.0.0.1"))
    gateway_port = env.get("WEB_SERVER_ADDRESS", "0.0.0.0:8000").rsplit(":", 1)[1]
    env.setdefault("GATEWAY_URL", f"http://127.0.0.1:{gateway_port}")
    for name, cfg, module in SERVICES:
        children.append(subprocess.Popen(
            [py, "-m", "nameko", "run", "--config", cfg, module], env=env, cwd=ROOT,
            stdout=open(logs / f"{name}.log", "a"), stderr=subprocess.STDOUT))
    return children


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
