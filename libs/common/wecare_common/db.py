"""SQLAlchemy 2 engine per service and a nameko DependencyProvider handing a
session to each worker (nameko-sqlalchemy does not support SQLAlchemy 2)."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any

import eventlet
import nameko
from nameko.extensions import DependencyProvider
from sqlalchemy import MetaData, Table, bindparam, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

from wecare_common import config, inbox, lifecycle, metrics, outbox, signed_vouchers, tracing
from wecare_common.outbox import OutboxRelay, outbox_sessionmaker

log = logging.getLogger(__name__)


def make_engine(service: str, url: str | None = None, **kwargs: Any) -> Engine:
    """An engine bound to the service's own schema (PostgreSQL) or file (SQLite)."""
    url = url or config.database_url(service)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, poolclass=NullPool, connect_args={"timeout": 5}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL: readers never wait for the writer, nor the writer for them.
            # Transactions stay deferred: a read takes no lock, because a lock
            # held across a green-thread switch would stall every other green
            # thread of the process in SQLite's blocking busy wait.
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN (savepoints work)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        tracing.instrument_engine(engine, service)
        return engine
    # connections each process may hold: replicas × (pool + overflow) of every Deployment
    # must fit the server's max_connections (docs/operations.md#replicas)
    kwargs.setdefault("pool_size", int(config.env("WECARE_DB_POOL_SIZE") or 10))
    kwargs.setdefault("max_overflow", int(config.env("WECARE_DB_MAX_OVERFLOW") or 20))
    engine = create_engine(
        url, connect_args={"options": f"-csearch_path={service}"}, **kwargs
    )
    _ping_when_stale(engine)
    tracing.instrument_engine(engine, service)
    return engine


# A pooled connection idle longer than this is pinged before use.
PING_AFTER_IDLE = 5.0


def _ping_when_stale(engine: Engine) -> None:
    """Pessimistic disconnect handling, but only for connections that sat idle.

    `pool_pre_ping` pings on every checkout: a round trip per transaction, which
    was an eighth of the gateway's CPU on the voucher path (three transactions a
    request). A connection checked in moments ago is alive unless the server
    went away in between; that rare case fails one transaction, after which
    SQLAlchemy discards the whole pool. (SQLAlchemy's documented custom ping.)"""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as exc:  # noqa: BLE001 - any failure: a new connection
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc


def ensure_schema(engine: Engine, service: str) -> None:
    """Create the service's PostgreSQL schema if it is missing (no-op on SQLite)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{service}"'))


class Database(DependencyProvider):
    """Engine in `setup`, one session per worker, rollback and close in
    `worker_teardown`. Services commit explicitly; what a worker leaves
    uncommitted is rolled back.

    When the service's metadata holds an `outbox` table, the provider also
    runs the outbox relay (see `outbox.OutboxRelay`) and wakes it after every
    commit that wrote events. Hourly it prunes the outbox's sent events and the
    inbox's handled ones older than their retention (`prune`).
    """

    def __init__(self, service: str, metadata: MetaData, relay_outbox: bool = True) -> None:
        self.service = service
        self.metadata = metadata
        self.relay_outbox = relay_outbox and "outbox" in metadata.tables
        self.engine: Engine | None = None
        self.sessionmaker: Callable[[], Session] | None = None
        self.relay: Any = None
        self.sessions: dict[Any, Session] = {}
        self._lock = threading.Lock()
        self._pruning = False

    def setup(self) -> None:
        # every service but the web app has a database: the one place its start fails
        # closed when a setting it needs is missing (config.check_settings)
        config.check_settings(self.service)
        if self.service == "wallet" and config.env("WECARE_VOUCHER_KEYS") is not None:
            signed_vouchers.configured_keys()  # a key set it cannot read stops it too
        self.engine = make_engine(self.service)
        if self.relay_outbox:
            # nameko's own config first: tests point a container at a throwaway vhost
            amqp_uri = nameko.config.get("AMQP_URI") or config.amqp_uri()
            self.relay = OutboxRelay(self.engine, self.metadata.tables["outbox"], amqp_uri)
        self.sessionmaker = outbox_sessionmaker(self.engine, self.metadata, self.relay)
        if "outbox" in self.metadata.tables:  # its backlog, read at each scrape
            metrics.OUTBOX_BACKLOG.add(self.service, partial(
                outbox.backlog, self.engine, self.metadata.tables["outbox"]))

    def start(self) -> None:
        if self.relay is not None:
            self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")
        if {"outbox", "inbox"} & set(self.metadata.tables):
            self._pruning = True
            self.container.spawn_managed_thread(self._prune_forever, identifier="prune")

    def prune(self) -> dict[str, int]:
        """Delete sent outbox events and inbox records older than their retention
        (an unsent event is never deleted); how many of each went."""
        tables, engine = self.metadata.tables, self.engine
        pruned: dict[str, int] = {}
        if engine is None:  # not set up: nothing of its own to prune yet
            return pruned
        if "outbox" in tables:
            pruned["outbox"] = outbox.prune_sent(engine, tables["outbox"])
        if "inbox" in tables:
            pruned["inbox"] = inbox.prune_handled(engine, tables["inbox"])
        return pruned

    def _prune_forever(self) -> None:
        """Hourly (WECARE_PRUNE_INTERVAL_SECONDS), the first a minute or so after start
        (spread, so replicas started together do not prune together)."""
        interval = float(config.env("WECARE_PRUNE_INTERVAL_SECONDS") or 3600)
        eventlet.sleep(random.uniform(30, 90))
        while self._pruning:
            try:
                pruned = self.prune()
                if any(pruned.values()):
                    log.info("pruned %s", pruned)
            except Exception:  # noqa: BLE001 - pruning is housekeeping; try again later
                log.exception("pruning the outbox/inbox failed; trying again later")
            eventlet.sleep(interval)

    def stop(self) -> None:
        """After the workers finished (nameko stops dependencies last): the relay
        publishes what they committed, then the connections close."""
        self._close(relay_wait=lifecycle.stop_seconds())

    def kill(self) -> None:
        self._close(relay_wait=None)

    def _close(self, relay_wait: float | None) -> None:
        self._pruning = False
        metrics.OUTBOX_BACKLOG.remove(self.service)
        if self.relay is not None:
            self.relay.stop(timeout=relay_wait)
        if self.engine is not None:
            self.engine.dispose()

    def new_session(self) -> Session:
        """A session of the service's database, outside any worker's (set up first)."""
        if self.sessionmaker is None:
            raise RuntimeError(f"{self.service}'s database is not set up")
        return self.sessionmaker()

    def get_dependency(self, worker_ctx: Any) -> Session:
        session = self.new_session()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx: Any) -> None:
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.rollback()
            session.close()



@contextmanager
def transaction(factory: Callable[[], Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (outside nameko)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def insert_ignore(session: Session, table: Table, rows: list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING on PostgreSQL and SQLite alike, in one
    statement; how many rows were inserted (0 when they were there already)."""
    if not rows:
        return 0
    return _insert_ignore(session, table, rows, ()).rowcount


def insert_ignore_returning(session: Session, table: Table, rows: list[dict[str, Any]],
                            returning: tuple[str, ...]) -> list[Any]:
    """As `insert_ignore`, and the `returning` columns of the rows inserted (those
    there already are not returned): e.g. their generated keys."""
    if not rows:
        return []
    return _insert_ignore(session, table, rows, returning).all()


def _insert_ignore(session: Session, table: Table, rows: list[dict[str, Any]],
                   returning: tuple[str, ...]) -> Any:
    if len(rows) <= _CACHED_ROWS:
        columns = tuple(rows[0])
        params = {f"{c}_{i}": row[c] for i, row in enumerate(rows) for c in columns}
        return session.execute(
            _insert_ignore_statement(table, columns, len(rows), returning), params)
    statement = insert_on_conflict(session, table).values(rows).on_conflict_do_nothing()
    if returning:
        return session.execute(statement.returning(*(table.c[c] for c in returning)))
    return session.execute(statement)


def insert_on_conflict(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that takes ON CONFLICT clauses, in the dialect of the session's database
    (PostgreSQL, or SQLite for `make run`'s default set-up)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# Up to this many rows the statement is textual and cached (one per row count);
# beyond, it is built each time. Building it is the cost at these sizes: 19 ms
# for 50 rows of 12 columns, against 0.04 ms to find the cached one (measured).
_CACHED_ROWS = 100


@lru_cache(maxsize=512)
def _insert_ignore_statement(table: Table, columns: tuple[str, ...], count: int,
                             returning: tuple[str, ...] = ()) -> TextClause | TextualSelect:
    # SQLAlchemy 2.0 never caches the compiled form of the dialects' own INSERT
    # (it is marked uncacheable) and this runs on hot paths; a textual statement
    # with typed parameters compiles once. PostgreSQL and SQLite ≥ 3.24 share
    # the syntax.
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join("(" + ", ".join(f":{c}_{i}" for c in columns) + ")"
                       for i in range(count))
    statement = text(f'INSERT INTO "{table.name}" ({names}) VALUES {values} '
                     "ON CONFLICT DO NOTHING"
                     + (" RETURNING " + ", ".join(f'"{c}"' for c in returning)
                        if returning else "")).bindparams(
        *(bindparam(f"{c}_{i}", type_=table.c[c].type)
          for i in range(count) for c in columns))
    if returning:  # typed, so the rows read back as the columns' Python types
        return statement.columns(*(table.c[c] for c in returning))
    return statement


def aware(moment: datetime) -> datetime:
    """A timestamp read back from the database, in UTC (SQLite returns naive ones)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
