"""What an account may do now (gateway/gateway/standing.py): everything; read only, for
an employee who left, until their access ends; nothing once disabled or past that day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from gateway.standing import (
    day_of,
    leaver_access_days,
    leaver_access_until,
    refusal,
    standing_of,
)
from wecare_common.config import MissingSetting

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
LEFT = NOW - timedelta(days=3)


def test_a_leaver_reads_until_their_access_ends_then_nothing() -> None:
    until = LEFT + timedelta(days=30)
    during = standing_of(disabled_at=None, left_at=LEFT, access_until=until, now=NOW)
    assert (during.state, during.until, during.read_only, during.ended) == (
        "read_only", until, True, False)
    assert refusal(during) is None  # they may still sign in
    after = standing_of(disabled_at=None, left_at=LEFT, access_until=until, now=until)
    assert (after.state, after.ended) == ("access_ended", True)
    refused = refusal(after)
    assert refused is not None and (refused.code, refused.params) == (
        "access_ended", {"ended_on": "2027-01-03"})


def test_a_day_is_told_as_it_is_in_italy() -> None:
    assert day_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)).isoformat() == "2027-01-01"
    assert day_of(datetime(2026, 7, 1, 21, 59, tzinfo=UTC)).isoformat() == "2026-07-01"


def test_disabled_beats_everything_and_active_is_the_rest() -> None:
    disabled = standing_of(disabled_at=NOW, left_at=LEFT, access_until=NOW + timedelta(1),
                           now=NOW)
    assert disabled.ended and refusal(disabled).code == "account_disabled"
    active = standing_of(disabled_at=None, left_at=None, access_until=None, now=NOW)
    assert (active.state, active.ended, active.read_only) == ("active", False, False)


@pytest.mark.parametrize("value, days", [(None, 30), ("0", 0), ("7", 7), ("3650", 3650)])
def test_the_grace_period_is_configurable(monkeypatch, value, days) -> None:
    if value is None:
        monkeypatch.delenv("WECARE_LEAVER_ACCESS_DAYS", raising=False)
    else:
        monkeypatch.setenv("WECARE_LEAVER_ACCESS_DAYS", value)
    assert leaver_access_days() == days
    assert leaver_access_until(LEFT) == LEFT + timedelta(days=days)


@pytest.mark.parametrize("value", ["-1", "thirty", "1.5", "3651", "٣"])
def test_a_grace_period_that_is_not_a_number_of_days_stops_the_gateway(monkeypatch,
                                                                       value) -> None:
    monkeypatch.setenv("WECARE_LEAVER_ACCESS_DAYS", value)
    with pytest.raises(MissingSetting):
        leaver_access_days()
