"""Idempotency-Key records: a retry gets the first answer, another body is
refused, a refusal is an answer too, and records are kept 48 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from gateway.idempotency import purge_expired, request_hash, run_once
from gateway.models import Base, IdempotencyRecord
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from wecare_common.errors import Conflict, IdempotencyConflict, RuleViolation


@pytest.fixture
def session(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'g.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def _answer(exc):
    return 422, {"error": str(exc)}


def test_a_retry_gets_the_first_answer_without_running_again(session) -> None:
    calls = []

    def action() -> tuple[int, dict]:
        calls.append(1)
        return 201, {"id": len(calls)}

    fingerprint = request_hash("POST", "/x", {"amount_cents": 1})
    first = run_once(session, caller="u1", key="k", fingerprint=fingerprint, action=action,
                     to_response=_answer)
    again = run_once(session, caller="u1", key="k", fingerprint=fingerprint, action=action,
                     to_response=_answer)
    assert first == again == (201, {"id": 1}) and len(calls) == 1
    with pytest.raises(IdempotencyConflict):
        run_once(session, caller="u1", key="k",
                 fingerprint=request_hash("POST", "/x", {"amount_cents": 2}), action=action,
                 to_response=_answer)
    other = run_once(session, caller="u2", key="k", fingerprint=fingerprint, action=action,
                     to_response=_answer)
    assert other == (201, {"id": 2})  # keys are per caller


def test_a_refusal_is_replayed_and_a_crash_lets_the_retry_run(session) -> None:
    def refuse() -> tuple[int, dict]:
        raise RuleViolation("no")

    fingerprint = request_hash("POST", "/y", {})
    assert run_once(session, caller="u", key="r", fingerprint=fingerprint, action=refuse,
                    to_response=_answer)[0] == 422
    assert run_once(session, caller="u", key="r", fingerprint=fingerprint,
                    action=lambda: (201, {}), to_response=_answer)[0] == 422

    def crash() -> tuple[int, dict]:
        raise TimeoutError("unknown outcome")

    with pytest.raises(TimeoutError):
        run_once(session, caller="u", key="c", fingerprint=fingerprint, action=crash,
                 to_response=_answer)
    assert run_once(session, caller="u", key="c", fingerprint=fingerprint,
                    action=lambda: (201, {"ok": True}), to_response=_answer) == (
        201, {"ok": True})


def test_records_are_kept_48_hours(session) -> None:
    now = datetime.now(UTC)
    session.add_all([
        IdempotencyRecord(caller="u", key="old", request_hash="h", status=201, response={},
                          created_at=now - timedelta(hours=49)),
        IdempotencyRecord(caller="u", key="new", request_hash="h", status=201, response={},
                          created_at=now - timedelta(hours=25))])
    session.commit()
    assert purge_expired(session, now) == 1
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_a_request_whose_gateway_died_is_taken_over_by_its_retry(session) -> None:
    """kill -9 mid-request leaves the record "in progress": nobody touches it any more,
    and once that is plain (no heartbeat for ABANDONED) a retry runs it (the services
    below are idempotent by the same key)."""
    from gateway import idempotency

    fingerprint = request_hash("POST", "/x", {"amount_cents": 1})
    session.add(IdempotencyRecord(caller="u1", key="k", request_hash=fingerprint, status=None,
                                  response=None, created_at=datetime.now(UTC)))
    session.commit()

    def action() -> tuple[int, dict]:
        return 201, {"id": "done"}

    with pytest.raises(Conflict, match="in progress"):  # alive for all we know
        run_once(session, caller="u1", key="k", fingerprint=fingerprint, action=action,
                 to_response=_answer)
    session.execute(IdempotencyRecord.__table__.update().values(
        created_at=datetime.now(UTC) - idempotency.ABANDONED - timedelta(seconds=1)))
    session.commit()
    assert run_once(session, caller="u1", key="k", fingerprint=fingerprint, action=action,
                    to_response=_answer) == (201, {"id": "done"})


def test_a_service_out_of_reach_is_no_answer_to_replay(session) -> None:
    """A 503 says nothing of the outcome: the retry runs again (and is answered)."""
    from wecare_common.errors import ServiceUnavailable

    from gateway import errors

    def to_response(exc):
        response = errors.response_from_exception(exc)
        return response.status_code, {}

    def away() -> tuple[int, dict]:
        raise ServiceUnavailable("the wallet service is not running")

    fingerprint = request_hash("POST", "/z", {})
    with pytest.raises(ServiceUnavailable):
        run_once(session, caller="u", key="s", fingerprint=fingerprint, action=away,
                 to_response=to_response)
    assert run_once(session, caller="u", key="s", fingerprint=fingerprint,
                    action=lambda: (201, {"ok": True}), to_response=to_response) == (
        201, {"ok": True})


def test_a_long_request_keeps_its_record_alive_and_stops_when_done(session, monkeypatch
                                                                   ) -> None:
    """The heartbeat: a request running past HEARTBEAT touches its record (so no retry
    takes it over); a request ending sooner, or ended, leaves nothing beating."""
    import eventlet
    from sqlalchemy import event

    from gateway import idempotency

    monkeypatch.setattr(idempotency, "HEARTBEAT", 0.05)
    beats: list[str] = []

    @event.listens_for(session.get_bind(), "before_cursor_execute")
    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001 - SQLAlchemy's hook
        if statement.startswith("UPDATE idempotency_records SET created_at"):
            beats.append(statement)

    def slow() -> tuple[int, dict]:
        eventlet.sleep(0.3)
        return 201, {"id": "done"}

    fingerprint = request_hash("POST", "/x", {"amount_cents": 1})
    assert run_once(session, caller="u1", key="k", fingerprint=fingerprint, action=slow,
                    to_response=_answer) == (201, {"id": "done"})
    assert len(beats) >= 3  # beaten every 0.05 s while it ran
    ended = len(beats)

    def quick() -> tuple[int, dict]:
        return 201, {"id": "quick"}

    assert run_once(session, caller="u1", key="k2", fingerprint=fingerprint, action=quick,
                    to_response=_answer) == (201, {"id": "quick"})
    eventlet.sleep(0.2)
    assert len(beats) == ended  # neither the ended request nor the quick one beats on
