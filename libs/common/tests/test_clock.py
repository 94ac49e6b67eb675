"""The clock deadlines read: the machine's, moved only by a test in development mode."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from wecare_common import clock, config


def test_without_a_clock_file_it_is_the_machine_s_clock(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.delenv(config.MOVED_CLOCK, raising=False)
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)
    assert clock.offset() == timedelta(0)


def test_a_test_moves_every_reader_of_the_file_forward(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "clock"
    monkeypatch.setenv(config.DEV_MODE, "1")
    monkeypatch.setenv(config.MOVED_CLOCK, str(path))
    assert clock.offset() == timedelta(0)  # no file yet
    clock.move(path, timedelta(days=4))
    clock.move(path, timedelta(hours=1))
    assert clock.offset() == timedelta(days=4, hours=1)
    assert clock.now() - datetime.now(UTC) > timedelta(days=4)


def test_outside_development_mode_the_file_is_never_read_and_stops_a_service(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "clock"
    clock.move(path, timedelta(days=30))
    monkeypatch.delenv(config.DEV_MODE, raising=False)
    monkeypatch.setenv(config.MOVED_CLOCK, str(path))
    for name in ("WECARE_INTERNAL_TOKEN", "JWT_SECRET"):
        monkeypatch.setenv(name, "set")
    assert clock.offset() == timedelta(0)
    with pytest.raises(config.MissingSetting, match="WECARE_CLOCK_FILE"):
        config.check_settings("benefits")


def test_a_deadline_day_ends_at_midnight_in_italy() -> None:
    # winter: UTC+1; summer: UTC+2
    assert clock.end_of_day(date(2026, 3, 20)) == datetime(2026, 3, 20, 23, 0, tzinfo=UTC)
    assert clock.end_of_day(date(2026, 7, 20)) == datetime(2026, 7, 20, 22, 0, tzinfo=UTC)
