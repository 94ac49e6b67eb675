"""A RabbitMQ node of one's own, and what `make run` does when it finds no broker.

`OwnBroker` is a real broker process (RabbitMQ's own scripts, on ports of its own, its data in
a folder of its own), so that the fault tests can stop a whole node, Erlang VM and all, without
taking the machine's shared broker from any other test, and `make run` can start one where
RabbitMQ is installed but not running. Durable state (vhosts, queues, persistent messages)
lives in the folder and survives a restart, as it does for a RabbitMQ pod with its volume.

`plan` is `make run`'s decision when the broker does not answer
(docs/operations.md#running-locally): a node of its own where RabbitMQ is installed; else the
one command that starts one in a container where docker or podman is there; else the install
command for this system."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import requests

DEBIAN_BIN = Path("/usr/lib/rabbitmq/bin")


def bin_dir(environ: Mapping[str, str] | None = None,
            which: Callable[[str], str | None] = shutil.which) -> Path | None:
    """Where RabbitMQ's own scripts are (rabbitmq-server and rabbitmqctl side by side):
    RABBITMQ_BIN, Debian's place, or beside `rabbitmq-server` on the PATH (Homebrew's sbin).
    Debian's /usr/sbin/rabbitmq-server is a wrapper that becomes the rabbitmq user; the
    scripts behind it run as whoever starts them."""
    environ = os.environ if environ is None else environ
    candidates = [Path(environ["RABBITMQ_BIN"])] if environ.get("RABBITMQ_BIN") else []
    candidates.append(DEBIAN_BIN)
    found = which("rabbitmq-server")
    if found and Path(found).parent != Path("/usr/sbin"):
        candidates.append(Path(found).parent)
    for folder in candidates:
        if (folder / "rabbitmq-server").exists() and (folder / "rabbitmqctl").exists():
            return folder
    return None


BIN = bin_dir() or DEBIAN_BIN


def available() -> bool:
    """RabbitMQ's scripts are installed here (the Debian package's place, or RABBITMQ_BIN)."""
    return bin_dir() is not None


class OwnBroker:
    """One RabbitMQ node on `amqp_port` (with `management`, its HTTP API on `api_port`; with
    `prometheus_port`, the broker's own metrics there, rabbitmq_prometheus)."""

    def __init__(self, home: Path, amqp_port: int, api_port: int, dist_port: int,
                 prometheus_port: int | None = None, *, name: str | None = None,
                 management: bool = True) -> None:
        self.home = home
        self.amqp_port, self.api_port = amqp_port, api_port
        self.prometheus_port = prometheus_port
        self.management = management
        self.node = f"{name or f'wecare-faults-{amqp_port}'}@localhost"
        home.mkdir(parents=True, exist_ok=True)
        (home / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{amqp_port}\n"
            + (f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {api_port}\n"
               if management else "")
            # guest may connect from 127.0.0.1 only, as on the shared broker
            + "loopback_users.guest = true\n"
            + (f"prometheus.tcp.ip = 127.0.0.1\nprometheus.tcp.port = {prometheus_port}\n"
               if prometheus_port else ""))
        plugins = (["rabbitmq_management"] if management else []) + (
            ["rabbitmq_prometheus"] if prometheus_port else [])
        (home / "enabled_plugins").write_text(f"[{','.join(plugins)}].\n")
        self.env = {**os.environ,
                    "HOME": str(home),  # the Erlang cookie: shared by the node and rabbitmqctl
                    "RABBITMQ_NODENAME": self.node,
                    "RABBITMQ_NODE_PORT": str(amqp_port),
                    "RABBITMQ_DIST_PORT": str(dist_port),
                    "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
                    "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(home / "log"),
                    "RABBITMQ_PID_FILE": str(home / "rabbitmq.pid"),
                    "ERL_EPMD_ADDRESS": "127.0.0.1"}

    @property
    def amqp_uri(self) -> str:
        return f"pyamqp://guest:guest@127.0.0.1:{self.amqp_port}"

    @property
    def api_uri(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.api_port}"

    def _ctl(self, *args: str, timeout: float = 120) -> None:
        subprocess.run([str(BIN / "rabbitmqctl"), "-n", self.node, *args], env=self.env,
                       check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        """Start the node and return once the broker (and its management API) answers."""
        subprocess.run([str(BIN / "rabbitmq-server"), "-detached"], env=self.env, check=True,
                       capture_output=True, timeout=60)
        self._ctl("wait", str(self.home / "rabbitmq.pid"), "--timeout", "120", timeout=150)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if not self.management:
                    if port_open(self.amqp_port):
                        return
                elif requests.get(f"{self.api_uri}/api/overview", timeout=3).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"RabbitMQ node {self.node} did not answer; logs in {self.home}/log")

    def stop(self) -> None:
        """Stop the node (the Erlang VM exits); returns when it is down."""
        self._ctl("stop", str(self.home / "rabbitmq.pid"))

    def close(self, keep_data: bool = False) -> None:
        try:
            self.stop()
        except (subprocess.SubprocessError, OSError):
            pid_file = self.home / "rabbitmq.pid"
            if pid_file.exists():
                subprocess.run(["kill", "-9", pid_file.read_text().strip()], check=False)
        if not keep_data:
            shutil.rmtree(self.home / "mnesia", ignore_errors=True)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- make run without a broker -------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """What make run does: "own" (start a node of its own and go on), or "stop" saying
    `message` (the command to run first)."""

    action: str
    message: str


CONTAINER = ("{engine} run -d --name wecare-rabbitmq -p 127.0.0.1:5672:5672 "
             "docker.io/library/rabbitmq:3-management")


def install_command(os_release: dict[str, str], platform: str = sys.platform) -> str:
    """The command that installs RabbitMQ on this system (which starts it, too, where the
    package starts its service)."""
    if platform == "darwin":
        return "brew install rabbitmq && brew services start rabbitmq"
    family = {os_release.get("ID", ""), *os_release.get("ID_LIKE", "").split()}
    if family & {"debian", "ubuntu"}:
        return "sudo apt-get install -y rabbitmq-server"
    if family & {"fedora", "rhel", "centos"}:
        return "sudo dnf install -y rabbitmq-server && sudo systemctl start rabbitmq-server"
    if family & {"opensuse", "suse", "sles"}:
        return "sudo zypper install -y rabbitmq-server && sudo systemctl start rabbitmq-server"
    if "arch" in family:
        return "sudo pacman -S --noconfirm rabbitmq && sudo systemctl start rabbitmq"
    if "alpine" in family:
        return "sudo apk add rabbitmq-server && sudo rc-service rabbitmq-server start"
    return "see https://www.rabbitmq.com/docs/download"


def os_release(path: Path = Path("/etc/os-release")) -> dict[str, str]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    return {k: v.strip('"') for k, _, v in (line.partition("=") for line in lines) if k}


def plan(uri: str, *, uri_given: bool, port_answers: bool, installed: bool,
         engine: str | None, install: str) -> Plan:
    """make run's decision when no broker answers at `uri`."""
    if uri_given:
        return Plan("stop", f"RabbitMQ is not reachable at {uri} (AMQP_URI). Start it, or unset "
                            "AMQP_URI: make run then uses one on this machine, or starts its own.")
    if port_answers:
        port = urlparse(uri.replace("pyamqp://", "amqp://")).port or 5672
        return Plan("stop", f"Something listens on port {port} but does not take {uri}: a "
                            "RabbitMQ with other users? Set AMQP_URI=pyamqp://user:password@"
                            f"127.0.0.1:{port}// and run make run again.")
    if installed:
        return Plan("own", "RabbitMQ is installed but not running: make run starts a node of "
                           "its own (data in var/rabbitmq/, stopped with make run).")
    if engine:
        return Plan("stop", "RabbitMQ is not installed. Start one in a container, then run "
                            "make run again:\n  " + CONTAINER.format(engine=engine))
    return Plan("stop", "RabbitMQ is not installed. Install it, then run make run again:\n  "
                        + install)


class RunBroker:
    """make run's own node: `wecare-run-<data dir's hash>@localhost` (make runs of two
    checkouts do not meet), data in <data dir>/rabbitmq, on 5672 when free (else a free port:
    AMQP_URI is set for the services). A node a make run left running is used again."""

    def __init__(self, data_dir: Path) -> None:
        self.home = data_dir.resolve() / "rabbitmq"
        self.name = "wecare-run-" + hashlib.sha1(str(self.home).encode()).hexdigest()[:8]
        self.node: OwnBroker | None = None

    def start(self) -> str:
        kept = self.home / "amqp_port"
        if kept.exists() and port_open(int(kept.read_text())):
            return f"pyamqp://guest:guest@127.0.0.1:{int(kept.read_text())}//"
        port = 5672 if not port_open(5672) else free_port()
        self.node = OwnBroker(self.home, port, 0, free_port(), name=self.name,
                              management=False)
        self.node.start()
        kept.write_text(str(port))
        return self.node.amqp_uri + "//"

    def stop(self) -> None:
        if self.node is not None:
            self.node.close(keep_data=True)
            (self.home / "amqp_port").unlink(missing_ok=True)
