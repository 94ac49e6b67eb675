"""`make run` (scripts/run.py): development mode with secrets of the data dir's own; a
service that dies is started again (with backoff, logged); stopping stops everything."""

from __future__ import annotations

import os
import signal
import stat
import sys
import time
from pathlib import Path

import pytest
from kombu import Connection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import broker  # noqa: E402
from scripts.run import DEV_SECRETS, Supervisor, dev_secrets  # noqa: E402


def test_dev_secrets_are_random_per_data_dir_and_kept(tmp_path: Path) -> None:
    first = dev_secrets(tmp_path / "a")
    assert set(first) == set(DEV_SECRETS)
    assert all(len(value) >= 32 for value in first.values())
    assert dev_secrets(tmp_path / "a") == first  # a restart keeps sessions signed in
    assert dev_secrets(tmp_path / "b") != first  # never a built-in value
    kept = tmp_path / "a" / "dev-secrets.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def _until(condition, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError("not within the time")


def test_a_program_that_dies_is_started_again_logged_and_ctrl_c_still_stops_all(
        tmp_path: Path) -> None:
    said: list[str] = []
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    supervisor = Supervisor(dict(os.environ), tmp_path, [("wallet", sleeper, None),
                                                          ("gateway", sleeper, None)],
                            first_backoff=0.2, say=said.append)
    supervisor.start()
    try:
        first = supervisor.child("wallet").process
        os.kill(first.pid, signal.SIGKILL)
        killed = time.monotonic()

        def restarted():  # type: ignore[no-untyped-def]
            supervisor.check()
            process = supervisor.child("wallet").process
            return process is not None and process.pid != first.pid and process
        again = _until(restarted)
        took = time.monotonic() - killed
        assert again.poll() is None and took < 2
        _until(lambda: (supervisor.check(), any("is back" in line for line in said))[1])
        assert any("wallet stopped (killed by SIGKILL)" in line and "again in 0.2 s" in line
                   for line in said), said
        assert "supervisor" in (tmp_path / "wallet.log").read_text()  # in its own log too
        assert supervisor.child("gateway").restarts == 0
    finally:
        supervisor.stop()
    # stopping ends everything, and nothing is started again
    assert all(process.poll() is not None for process in supervisor.processes())
    supervisor.check()
    assert all(process.poll() is not None for process in supervisor.processes())


def test_a_program_that_keeps_dying_waits_longer_each_time(tmp_path: Path) -> None:
    said: list[str] = []
    crash = [sys.executable, "-c", "raise SystemExit(3)"]
    supervisor = Supervisor(dict(os.environ), tmp_path, [("benefits", crash, None)],
                            first_backoff=0.1, max_backoff=0.4, say=said.append)
    supervisor.start()
    try:
        _until(lambda: (supervisor.check(), supervisor.child("benefits").restarts >= 4)[1])
    finally:
        supervisor.stop()
    waits = [line.split("again in ")[1].split(" s")[0] for line in said if "again in" in line]
    assert waits[:4] == ["0.1", "0.2", "0.4", "0.4"], said
    assert "exit code 3" in said[0]


# -- no broker: what make run does (scripts/broker.py) -------------------------------------
DEFAULT = "pyamqp://guest:guest@127.0.0.1:5672//"


def test_with_rabbitmq_installed_but_not_running_make_run_starts_its_own() -> None:
    decided = broker.plan(DEFAULT, uri_given=False, port_answers=False, installed=True,
                          engine="podman", install="sudo apt-get install -y rabbitmq-server")
    assert decided.action == "own" and "var/rabbitmq" in decided.message


def test_without_rabbitmq_but_with_a_container_engine_it_gives_the_one_command() -> None:
    for engine in ("docker", "podman"):
        decided = broker.plan(DEFAULT, uri_given=False, port_answers=False, installed=False,
                              engine=engine, install="sudo apt-get install -y rabbitmq-server")
        assert decided.action == "stop"
        (command,) = [line.strip() for line in decided.message.splitlines()
                      if line.strip().startswith(engine)]
        assert command == (f"{engine} run -d --name wecare-rabbitmq -p 127.0.0.1:5672:5672 "
                           "docker.io/library/rabbitmq:3-management")


def test_with_neither_it_gives_the_install_command_of_this_system() -> None:
    decided = broker.plan(DEFAULT, uri_given=False, port_answers=False, installed=False,
                          engine=None, install="sudo dnf install -y rabbitmq-server")
    assert decided.action == "stop"
    assert decided.message.splitlines()[-1].strip() == "sudo dnf install -y rabbitmq-server"
    systems = {"debian": "sudo apt-get install -y rabbitmq-server",
               "fedora": "sudo dnf install", "arch": "sudo pacman -S", "alpine": "sudo apk add",
               "opensuse-tumbleweed": "sudo zypper install"}
    for system, start in systems.items():
        release = {"ID": system, "ID_LIKE": "opensuse suse" if "opensuse" in system else ""}
        assert broker.install_command(release, "linux").startswith(start), system
    assert broker.install_command({"ID": "linuxmint", "ID_LIKE": "ubuntu debian"}, "linux") == \
        "sudo apt-get install -y rabbitmq-server"
    assert broker.install_command({}, "darwin").startswith("brew install rabbitmq")
    assert "rabbitmq.com" in broker.install_command({"ID": "plan9"}, "linux")


def test_a_broker_asked_for_by_name_or_refusing_the_default_login_is_not_replaced() -> None:
    named = broker.plan("pyamqp://u:p@mq.example:5672//", uri_given=True, port_answers=False,
                        installed=True, engine="docker", install="x")
    assert named.action == "stop" and "mq.example" in named.message
    refusing = broker.plan(DEFAULT, uri_given=False, port_answers=True, installed=True,
                           engine="docker", install="x")
    assert refusing.action == "stop" and "AMQP_URI=" in refusing.message


def test_rabbitmqs_scripts_are_found_where_packages_put_them(tmp_path: Path) -> None:
    for name in ("rabbitmq-server", "rabbitmqctl"):
        (tmp_path / name).touch()
    assert broker.bin_dir({"RABBITMQ_BIN": str(tmp_path)}, lambda _: None) == tmp_path
    assert broker.bin_dir({}, lambda _: str(tmp_path / "rabbitmq-server")) in (
        tmp_path, broker.DEBIAN_BIN)  # Homebrew's sbin (Debian's place first, when there)
    # Debian's /usr/sbin wrapper becomes the rabbitmq user: never the one used
    if not broker.DEBIAN_BIN.exists():
        assert broker.bin_dir({}, lambda _: "/usr/sbin/rabbitmq-server") is None


@pytest.mark.integration
@pytest.mark.skipif(not broker.available(), reason="RabbitMQ is not installed here")
def test_make_runs_own_node_starts_takes_connections_keeps_its_data_and_stops(
        tmp_path: Path) -> None:
    own = broker.RunBroker(tmp_path)
    uri = own.start()
    try:
        assert uri != DEFAULT  # the machine's broker holds 5672 here: another port
        with Connection(uri, connect_timeout=10) as conn:
            conn.ensure_connection(max_retries=3)
            conn.SimpleQueue("kept").put({"n": 1})
        assert (tmp_path / "rabbitmq/mnesia").is_dir()  # its data in the data dir
        assert broker.RunBroker(tmp_path).start() == uri  # left running: used again
    finally:
        own.stop()
    port = int(uri.rsplit(":", 1)[1].strip("/"))
    assert not broker.port_open(port)
