"""The database provider under eventlet: concurrent workers' queries overlap."""

from __future__ import annotations

import eventlet
import pytest
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcClient
from sqlalchemy import MetaData, text
from wecare_common.db import Database


class Sleeper:
    name = "sleeper"
    db = Database("sleeper_probe", MetaData())

    @rpc
    def slow_query(self) -> tuple[str, str]:
        row = self.db.execute(text(
            "SELECT clock_timestamp()::text AS started, pg_sleep(0.5), "
            "clock_timestamp()::text AS ended")).one()
        return row.started, row.ended


def test_slow_queries_from_concurrent_workers_overlap(database_url, rabbit_config,
                                                      container_factory) -> None:
    container = container_factory(Sleeper)
    container.start()
    pool = eventlet.GreenPool(10)

    def call(_: int) -> tuple[str, str]:
        with ServiceRpcClient("sleeper") as sleeper:
            return sleeper.slow_query()

    spans = list(pool.imap(call, range(10)))
    # Had the driver blocked the process, each query would start after the one
    # before ended. Cooperative, every query starts before any has ended.
    assert len(spans) == 10
    assert max(started for started, _ in spans) < min(ended for _, ended in spans)


def test_a_pooled_connection_the_server_dropped_is_replaced(database_url, monkeypatch) -> None:
    from wecare_common import db

    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # every checkout counts as stale
    engine = db.make_engine("public", database_url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with engine.connect() as other:  # the pool's one connection: kill it from itself
        assert other.execute(text("SELECT pg_backend_pid()")).scalar() == first
    killer = db.make_engine("public", database_url)
    with killer.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    with engine.connect() as conn:  # pinged, found dead, replaced: no error here
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
    engine.dispose()
    killer.dispose()


def test_a_recently_used_connection_is_not_pinged(database_url) -> None:
    """The trade: no ping within PING_AFTER_IDLE, so a connection the server
    dropped in that window fails one transaction; the pool then starts afresh."""
    from sqlalchemy.exc import OperationalError
    from wecare_common import db

    engine = db.make_engine("public", database_url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = db.make_engine("public", database_url)
    with killer.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    with pytest.raises(OperationalError), engine.connect() as conn:  # not pinged: it fails
        conn.execute(text("SELECT 1"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
    engine.dispose()
    killer.dispose()
