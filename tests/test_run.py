"""`make run` (scripts/run.py): development mode with secrets of the data dir's own; a
service that dies is started again (with backoff, logged); stopping stops everything."""

from __future__ import annotations

import os
import signal
import stat
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
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
