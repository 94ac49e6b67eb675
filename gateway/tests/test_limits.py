"""Rate limits counted in the database, shared by every gateway replica."""

from __future__ import annotations

import uuid

import pytest
from gateway.limits import Limit, check, count, give_back, pair, take
from gateway.models import Base
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from wecare_common.errors import RateLimited


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_attempts_past_the_limit_are_refused_until_the_window_ends(engine) -> None:
    limit = Limit("test", attempts=3, window_s=60)
    who = uuid.uuid4().hex
    for n in range(3):
        check(engine, limit, who, now=1000.0 + n)
        assert count(engine, limit, who, now=1000.0 + n) == n + 1
    with pytest.raises(RateLimited) as refused:
        check(engine, limit, who, now=1010.0)
    assert refused.value.retry_after == 1020 - 1010  # the window [960, 1020) ends at 1020
    check(engine, limit, who, now=1021.0)  # a new window
    check(engine, limit, uuid.uuid4().hex, now=1010.0)  # someone else is not affected


def test_a_new_window_starts_from_zero_and_old_ones_are_dropped(engine) -> None:
    limit = Limit("test", attempts=1, window_s=10)
    assert count(engine, limit, "a", now=5.0) == 1
    assert count(engine, limit, "a", now=15.0) == 1
    rows = engine.execute(text("SELECT window_start FROM rate_counters")).all()
    assert rows == [(10,)]


def test_take_counts_every_attempt_and_refuses_those_past_the_limit(engine) -> None:
    limit = Limit("test-take", attempts=2, window_s=60)
    take(engine, limit, "emp", now=1000.0)
    take(engine, limit, "emp", now=1001.0)
    with pytest.raises(RateLimited) as refused:
        take(engine, limit, "emp", now=1002.0)
    assert refused.value.retry_after == 1020 - 1002
    take(engine, limit, "other", now=1002.0)
    take(engine, limit, "emp", now=1020.0)  # the next window


def test_an_attempt_given_back_frees_its_place_in_the_window(engine) -> None:
    """A sign-in that succeeds gives its attempt back: only failures stay counted."""
    limit = Limit("test-give-back", attempts=2, window_s=60)
    who = pair("anna@example.org", "203.0.113.7")
    assert who != pair("anna@example.org", "198.51.100.1") and len(who) == 64
    for n in range(5):  # five good sign-ins in a row, each taken then given back
        take(engine, limit, who, now=1000.0 + n)
        give_back(engine, limit, who, now=1000.0 + n)
    take(engine, limit, who, now=1010.0)
    take(engine, limit, who, now=1011.0)
    with pytest.raises(RateLimited):
        take(engine, limit, who, now=1012.0)
    give_back(engine, limit, "nobody", now=1012.0)  # nothing to give back: nothing changes
    assert engine.execute(text("SELECT count(*) FROM rate_counters")).scalar() == 1
