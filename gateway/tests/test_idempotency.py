"""Idempotency-Key records: a retry gets the first answer, another body is
refused, a refusal is an answer too, and records are kept 48 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from gateway.idempotency import purge_expired, request_hash, run_once
from gateway.models import Base, IdempotencyRecord
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from wecare_common.errors import IdempotencyConflict, RuleViolation


@pytest.fixture
def session(tmp_path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'g.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def _answer(exc):  # type: ignore[no-untyped-def]
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
