"""The time of day as the rules with a deadline read it (a bonus offer's choice,
its reminder and its settlement): the machine's clock, moved forward only in a test.

`WECARE_CLOCK_FILE` names a file holding a number of seconds added to the machine's
clock (`86400` = one day later); the processes of a test stack share it, so a browser
test can let a deadline pass without waiting for it, and every process agrees on the
hour. Development mode only (`WECARE_DEV_MODE=1`): outside it the variable stops the
service at start (`config.check_settings`) and is never read, so a deployment runs on the
machine's clock."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from wecare_common import config

CLOCK_FILE = config.MOVED_CLOCK
# Deadlines are days in Italy: a choice is open until the end of its day, Italian time.
ROME = ZoneInfo("Europe/Rome")


def offset() -> timedelta:
    """How far the test moved the clock (zero unless WECARE_CLOCK_FILE names a file)."""
    path = config.env(CLOCK_FILE)
    if path is None or not config.dev_mode():
        return timedelta(0)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
    except FileNotFoundError:
        return timedelta(0)
    return timedelta(seconds=float(text or 0))


def now() -> datetime:
    """This moment, aware and in UTC."""
    return datetime.now(UTC) + offset()


def today() -> date:
    """Today in Italy (a deadline's day)."""
    return now().astimezone(ROME).date()


def end_of_day(day: date) -> datetime:
    """The first instant after `day` in Italy, in UTC: a deadline on `day` has passed
    from this moment on."""
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=ROME)
    return midnight.astimezone(UTC)


def move(path: str | os.PathLike[str], by: timedelta) -> None:
    """A test's hand on the clock: every process reading `path` is `by` later now."""
    try:
        with open(path, encoding="utf-8") as f:
            current = float(f.read().strip() or 0)
    except FileNotFoundError:
        current = 0.0
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(current + by.total_seconds()))
    os.replace(tmp, path)
