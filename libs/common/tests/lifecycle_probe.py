"""A service for test_lifecycle.py, run as its own process by `nameko run` (as every
WeCare service is): a slow page, a slow event handler that publishes through the
outbox when it is done, and the usual probes."""

from __future__ import annotations

from typing import Any

import eventlet
from sqlalchemy import Column, Integer, MetaData, String, Table
from wecare_common import health
from wecare_common.consumer import handle_event
from wecare_common.db import Database
from wecare_common.outbox import outbox_table, record_event
from wecare_common.telemetry import http

SCHEMA = "lifecycle_probe"
metadata = MetaData()
# one row each time a handler begins an event: a second delivery shows as a second row
handlings = Table("handlings", metadata,
                  Column("seq", Integer, primary_key=True, autoincrement=True),
                  Column("event_id", String(36), nullable=False))
outbox = outbox_table(metadata)


class LifecycleProbe(health.HealthEntrypoints):
    name = SCHEMA
    db = Database(SCHEMA, metadata)

    @http("GET", "/slow/<float:seconds>")
    def slow(self, request: Any, seconds: float) -> tuple[int, str]:
        eventlet.sleep(seconds)
        return 200, f"slept {seconds:g} s"

    @handle_event("probe.slow")
    def on_slow(self, event: dict[str, Any]) -> None:
        self.db.execute(handlings.insert().values(event_id=event["id"]))
        self.db.commit()
        eventlet.sleep(event["payload"]["seconds"])
        record_event(self.db, "probe.done", {"of": event["id"]}, producer=SCHEMA,
                     company_id=None)
        self.db.commit()
