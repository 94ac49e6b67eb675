"""`Idempotency-Key` for money-moving requests (docs/api.md#idempotency-keys): a retry with the
same key and body gets the first answer; the same key with another body is
refused; keys are scoped per caller and kept at least 24 hours."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import eventlet
from eventlet import hubs
from eventlet.greenthread import GreenThread
from sqlalchemy import CursorResult, bindparam, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from wecare_common.contract import refusals
from wecare_common.db import insert_ignore, make_engine
from wecare_common.errors import DomainError

from gateway.models import IdempotencyRecord

_records = IdempotencyRecord.__table__

KEEP_FOR = timedelta(hours=48)


# A caller's Idempotency-Key may be 200 characters of anything (docs/api.md#idempotency-keys);
# the services build their own keys from the one they are given (`voucher:<employee>:<key>`,
# `grant:<key>`, Stripe's header) into columns of 200 characters and headers of Latin-1.
# A key that is short and plain goes on as it is (a retry made before this rule finds
# what it made); any other goes as its digest: the same key, the same digest.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9._~:+=/-]{1,64}")


def bounded(key: str) -> str:
    """The caller's key as the services are given it: at most 64 plain characters."""
    if _PLAIN_KEY.fullmatch(key):
        return key
    return hashlib.sha256(key.encode()).hexdigest()


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps({"m": method, "p": path, "b": body}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(session: Session, *, caller: str, key: str, fingerprint: str,
             action: Callable[[], tuple[int, Any]],
             to_response: Callable[[DomainError], tuple[int, Any]]) -> tuple[int, Any]:
    """Run `action` the first time this (caller, key) is seen; replay after.
    The record is claimed by inserting it (a concurrent twin finds it taken);
    only a retry reads it back."""
    if session.in_transaction():
        session.commit()  # what the request read so far: nothing stays open over the action
    with _statement(session) as alone:
        claimed = insert_ignore(alone, _records, [{
            "caller": caller, "key": key, "request_hash": fingerprint, "status": None,
            "response": None, "created_at": datetime.now(UTC)}])
        alone.commit()
    if not claimed:
        this = _this(caller, key)
        record = session.execute(select(_records.c.request_hash, _records.c.status,
                                        _records.c.response).where(this)).first()
        session.commit()
        if record is None:  # purged, or its first attempt gave up, in between
            return run_once(session, caller=caller, key=key, fingerprint=fingerprint,
                            action=action, to_response=to_response)
        if record.request_hash != fingerprint:
            raise refusals.IDEMPOTENCY_CONFLICT(field="Idempotency-Key")
        if record.status is None and not _take_over(session, this):
            raise refusals.REQUEST_IN_PROGRESS(field="Idempotency-Key")
        if record.status is not None:
            return record.status, record.response
    with _heartbeat(session, caller, key):
        return _run(session, caller, key, action, to_response)


# A request in progress touches its record this often; one not touched for ABANDONED
# died with its process (kill -9, a node lost): a retry takes it over (the services
# below are idempotent by the same key, so nothing happens twice).
HEARTBEAT = 5.0
ABANDONED = timedelta(seconds=15)


def _this(caller: str, key: str) -> Any:
    """The record of (caller, key), as a WHERE clause."""
    return (_records.c.caller == caller) & (_records.c.key == key)


# The answer recorded: the statement built once (an expression built per request cost
# CPU, and its comparators' reference cycles were left to the slowest collections)
_ANSWER = (update(_records)
           .where(_records.c.caller == bindparam("a_caller"),
                  _records.c.key == bindparam("a_key"))
           .values(status=bindparam("a_status", type_=_records.c.status.type),
                   response=bindparam("a_response", type_=_records.c.response.type)))


def _take_over(session: Session, this: Any) -> bool:
    taken = cast(CursorResult[Any], session.execute(update(_records).where(
        this, _records.c.status.is_(None),
        _records.c.created_at < datetime.now(UTC) - ABANDONED)
        .values(created_at=datetime.now(UTC)))).rowcount
    session.commit()
    return bool(taken)


@contextmanager
def _heartbeat(session: Session, caller: str, key: str) -> Iterator[None]:
    """While the action runs, its record says so (on a connection of its own)."""
    engine = session.get_bind().engine

    def beat() -> None:
        this = _this(caller, key)
        while True:
            try:
                with engine.begin() as conn:
                    conn.execute(update(_records).where(this, _records.c.status.is_(None))
                                 .values(created_at=datetime.now(UTC)))
            except Exception:  # noqa: BLE001 - a missed beat; the next one may do
                pass
            eventlet.sleep(HEARTBEAT)

    # A bare timer until the first beat is due: most requests end before it, and
    # cancelling a timer leaves nothing behind (a green thread killed before it ran,
    # as `spawn_after` made, was switched to only to raise GreenletExit: each request
    # left a traceback, its frames and this request's session in a reference cycle,
    # ~55 objects for the garbage collector's slowest pass: 50–100 ms pauses under load)
    beating: list[GreenThread] = []
    timer = hubs.get_hub().schedule_call_global(
        HEARTBEAT, lambda: beating.append(eventlet.spawn(beat)))
    try:
        yield
    finally:
        timer.cancel()
        for thread in beating:
            thread.kill()


def _run(session: Session, caller: str, key: str, action: Callable[[], tuple[int, Any]],
         to_response: Callable[[DomainError], tuple[int, Any]]) -> tuple[int, Any]:
    try:
        status, body = action()
    except DomainError as exc:
        # A refusal is an answer too: the retry gets the same refusal. A service out of
        # reach (503, 504) is no answer: the outcome is unknown, as below.
        status, body = to_response(exc)
        if status >= 500:
            _forget(session, caller, key)
            raise
    except BaseException:
        # Unknown outcome (crash, timeout): let a retry try again; the services
        # below are idempotent by the same key, so money moves at most once.
        _forget(session, caller, key)
        raise
    with _statement(session) as alone:
        alone.execute(_ANSWER, {"a_caller": caller, "a_key": key, "a_status": status,
                                "a_response": body})
        alone.commit()
    return status, body


@contextmanager
def _statement(session: Session) -> Iterator[Session]:
    """A session for one statement that commits on its own, on PostgreSQL: one round
    trip instead of three (BEGIN, the statement, COMMIT), on connections kept in
    autocommit by an engine of their own (switching a pooled connection to
    autocommit and back cost a round trip of its own each way). Elsewhere `session`."""
    url = session.get_bind().engine.url
    if url.get_backend_name() != "postgresql":
        yield session
        return
    engine = _autocommit_engines.get(url)
    if engine is None:
        engine = _autocommit_engines[url] = make_engine(
            "gateway", url.render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT", pool_size=5)
    with Session(engine) as alone:
        yield alone


_autocommit_engines: dict[Any, Engine] = {}


def _forget(session: Session, caller: str, key: str) -> None:
    session.rollback()
    session.execute(delete(_records).where(_this(caller, key)))
    session.commit()


def purge_expired(session: Session, now: datetime | None = None) -> int:
    cutoff = (now or datetime.now(UTC)) - KEEP_FOR
    result = cast(CursorResult[Any],
                  session.execute(delete(_records).where(_records.c.created_at < cutoff)))
    session.commit()
    return result.rowcount or 0
