"""The database provider under eventlet: concurrent workers' queries overlap."""

from __future__ import annotations

import eventlet
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
