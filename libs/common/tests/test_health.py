"""Probes for Kubernetes: liveness asks the process only, so a database outage never
restarts a pod; readiness asks the database, so the pod leaves the load balancer."""

from __future__ import annotations

import nameko
import requests
from sqlalchemy import MetaData
from support import free_port
from wecare_common import health
from wecare_common.db import Database


class Probed(health.HealthEntrypoints):
    name = "probed"
    db = Database("probed", MetaData())


def test_liveness_holds_while_the_database_is_away(rabbit_config, container_factory,
                                                   monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nowhere")
    port = free_port()
    with nameko.config.patch({"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}):
        container_factory(Probed).start()
    live = requests.get(f"http://127.0.0.1:{port}/live", timeout=5)
    assert live.status_code == 200 and live.json() == {"status": "alive"}
    ready = requests.get(f"http://127.0.0.1:{port}/health", timeout=10)
    assert ready.status_code == 503 and ready.json()["database"].startswith("error")


def test_a_schema_older_than_the_code_is_not_ready_a_newer_one_is(engines) -> None:
    """A new version's pod waits, unready, until its migration Job has run; the old
    version's pods stay ready on the schema a newer Job expanded (docs/operations.md#upgrades)."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session
    from wecare_common.migrations import revisions_of

    head, known = revisions_of("catalog")
    with Session(engines("catalog")) as session:
        assert health.readiness("catalog", session)["status"] == "ok"
        older = next(r for r in sorted(known) if r != head)
        session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})
        report = health.readiness("catalog", session)
        assert report["status"] == "error"
        assert report["schema"] == f"behind: at {older}, this code needs {head}"
        assert health.probe_response(report)[0] == 503
        session.execute(text("UPDATE alembic_version SET version_num = 'a_later_version'"))
        assert health.readiness("catalog", session)["status"] == "ok"
        session.rollback()
