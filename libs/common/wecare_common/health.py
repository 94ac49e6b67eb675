"""Liveness and readiness every service reports: GET /live (the process answers;
Kubernetes' livenessProbe: nothing outside the process is asked, so a database
outage never restarts pods) and readiness, its database answering (GET /health for
the readinessProbe, and `health` over RPC for the gateway's /health), and its schema
one this code can run on (not before its migration Job). A process told
to stop is unready at once, while it still serves (`draining`: wecare_common.lifecycle)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from wecare_common import lifecycle, migrations
from wecare_common.rpc import rpc
from wecare_common.telemetry import Telemetry, http


def readiness(service: str, session: Session) -> dict[str, Any]:
    """Ready: the database answers and its schema is the one this code needs, or a later
    one (a new version's pods wait, unready, for its migration Job; the old version's
    keep serving after it: docs/operations.md#upgrades)."""
    schema = "ok"
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
        behind = migrations.schema_behind(service, session)
        if behind is not None:
            schema = f"behind: {behind}"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        database = f"error: {type(exc).__name__}"
    ok = database == "ok" and schema == "ok"
    return {"service": service, "status": "ok" if ok else "error", "database": database,
            "schema": schema}


def probe_response(report: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """The readiness probe's answer: 503 when the report is not ok, or this process
    drains (it is stopping: the balancers must take it out)."""
    if lifecycle.draining():
        report = {**report, "status": "draining"}
    status = 200 if report["status"] == "ok" else 503
    return status, {"Content-Type": "application/json"}, json.dumps(report)


LIVE = (200, {"Content-Type": "application/json"}, '{"status": "alive"}')


class HealthEntrypoints:
    """Liveness (GET /live) and readiness (GET /health, and `health` over RPC for the
    gateway's /health) for every service. Needs `name` and `db`."""

    name: str
    db: Session
    telemetry = Telemetry()  # metrics served, traces, request ids (wecare_common.telemetry)

    @rpc
    def health(self) -> dict[str, Any]:
        return readiness(self.name, self.db)

    @http("GET", "/health")
    def http_health(self, request: Any) -> tuple[int, dict[str, str], str]:
        return probe_response(readiness(self.name, self.db))

    @http("GET", "/live")
    def http_live(self, request: Any) -> tuple[int, dict[str, str], str]:
        return LIVE
