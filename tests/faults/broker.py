"""A RabbitMQ node of the fault test's own: a real broker process (RabbitMQ's own
scripts, on free ports, with its data in a temporary directory), so that "RabbitMQ
stopped for 5 s and started again" stops a real broker — the whole node, Erlang VM
and all — without taking the machine's shared broker from any other test.

Durable state (the vhost, its queues, persistent messages) lives in the node's own
directory and survives the restart, as it does for a RabbitMQ pod with its volume."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import requests

BIN = Path(os.environ.get("RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


def available() -> bool:
    """RabbitMQ's scripts are installed here (the Debian package's place, or RABBITMQ_BIN)."""
    return (BIN / "rabbitmq-server").exists() and (BIN / "rabbitmqctl").exists()


class OwnBroker:
    """One RabbitMQ node on `amqp_port` (management API on `api_port`)."""

    def __init__(self, home: Path, amqp_port: int, api_port: int, dist_port: int,
                 prometheus_port: int | None = None) -> None:
        """prometheus_port: also the broker's own metrics (rabbitmq_prometheus) there."""
        self.home = home
        self.amqp_port, self.api_port = amqp_port, api_port
        self.prometheus_port = prometheus_port
        self.node = f"wecare-faults-{amqp_port}@localhost"
        (home / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{amqp_port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {api_port}\n"
            # guest may connect from 127.0.0.1 only, as on the shared broker
            "loopback_users.guest = true\n"
            + (f"prometheus.tcp.ip = 127.0.0.1\nprometheus.tcp.port = {prometheus_port}\n"
               if prometheus_port else ""))
        plugins = "rabbitmq_management" + (",rabbitmq_prometheus" if prometheus_port else "")
        (home / "enabled_plugins").write_text(f"[{plugins}].\n")
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
        """Start the node and return once the broker and its management API answer."""
        subprocess.run([str(BIN / "rabbitmq-server"), "-detached"], env=self.env, check=True,
                       capture_output=True, timeout=60)
        self._ctl("wait", str(self.home / "rabbitmq.pid"), "--timeout", "120", timeout=150)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.api_uri}/api/overview", timeout=3).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"RabbitMQ node {self.node} did not answer; logs in {self.home}/log")

    def stop(self) -> None:
        """Stop the node (the Erlang VM exits); returns when it is down."""
        self._ctl("stop", str(self.home / "rabbitmq.pid"))

    def close(self) -> None:
        try:
            self.stop()
        except (subprocess.SubprocessError, OSError):
            pid_file = self.home / "rabbitmq.pid"
            if pid_file.exists():
                subprocess.run(["kill", "-9", pid_file.read_text().strip()], check=False)
        shutil.rmtree(self.home / "mnesia", ignore_errors=True)
