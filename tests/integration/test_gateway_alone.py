"""The gateway with no service behind it answers at once, and clearly: 503
(a service is not running) rather than a hang."""

from __future__ import annotations

import os
import time
from typing import Any

import nameko
import pytest
import requests
from nameko.containers import get_container_cls
from support import free_port


def signed_in(database_url: str, principal: Any) -> Any:
    """The principal's account, with a login session of its own (a token names one, and
    each request asks for it and its account, or is refused)."""
    from datetime import UTC, datetime

    from gateway.models import User
    from sqlalchemy.orm import Session
    from wecare_common.db import make_engine

    from gateway import users

    engine = make_engine("gateway", database_url)
    with Session(engine) as session:
        if session.get(User, principal.user_id) is None:
            session.add(User(id=principal.user_id, email=f"{principal.user_id}@alone.test",
                             role=principal.role, company_id=principal.company_id,
                             employee_id=principal.employee_id,
                             created_at=datetime.now(UTC)))
            session.commit()
        principal, _ = users.start_session(session, principal)
    engine.dispose()
    return principal


@pytest.mark.parametrize("transport", ["amqp", "http"])
def test_a_missing_service_is_a_clear_503_not_a_hang(database_url, rabbit_config, transport,
                                                     monkeypatch) -> None:
    from gateway.auth import Principal, issue_token
    from gateway.service import GatewayService

    port = free_port()
    for name in ("catalog", "benefits", "wallet", "notifications"):
        if transport == "http":  # the services' web addresses, where nobody listens
            monkeypatch.setenv(f"{name.upper()}_URL", f"http://127.0.0.1:{free_port()}")
        else:  # (the end-to-end stack's, when it ran first in this process)
            monkeypatch.delenv(f"{name.upper()}_URL", raising=False)
    os.environ.setdefault("JWT_SECRET", "alone-" + "x" * 32)
    with nameko.config.patch({"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}):
        container = get_container_cls()(GatewayService)
        container.start()
    try:
        token = issue_token(signed_in(database_url, Principal("u1", "employee", "c1", "e1"))
                            )["access_token"]
        started = time.monotonic()
        r = requests.get(f"http://127.0.0.1:{port}/api/v1/me/wallet",
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert time.monotonic() - started < 5
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "service_unavailable"
        assert "wallet" in r.json()["error"]["message"]
        health = requests.get(f"http://127.0.0.1:{port}/health", timeout=30)
        assert health.status_code == 503 and health.json()["status"] == "degraded"
        assert health.json()["services"]["gateway"] == "ok"
    finally:
        container.stop()
