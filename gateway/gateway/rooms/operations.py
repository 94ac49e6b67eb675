"""What runs the gateway rather than serves a person: health and readiness, the API's
own document, the housekeeping timers, and every non-API path forwarded to the web app."""

from __future__ import annotations

from typing import Any

import eventlet
from nameko.timer import timer
from wecare_common import health, lifecycle
from wecare_common.contract.responses import HealthOut
from wecare_common.errors import ServiceUnavailable
from wecare_common.telemetry import http
from werkzeug.wrappers import Request, Response

from gateway import idempotency, pages, signups
from gateway.openapi import build_spec, docs_page
from gateway.rooms.base import Room
from gateway.routing import Call, api

SERVICES = ("catalog", "benefits", "wallet", "notifications")



class OperationsRoom(Room):
    @api("GET", "/health", response=HealthOut, summary="readiness of every service")
    def health(self, call: Call) -> tuple[int, dict[str, Any]]:
        """Every service asked at once, each with a short deadline (a slow one costs
        its deadline, not the sum)."""
        def ask(name: str) -> tuple[str, str]:
            try:
                return name, TimedCall(getattr(self, name)).health()["status"]
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                return name, f"unavailable: {type(exc).__name__}"

        report: dict[str, Any] = {"gateway": "draining" if lifecycle.draining() else "ok",
                                  **dict(eventlet.GreenPool(len(SERVICES)).imap(ask, SERVICES))}
        ok = all(v == "ok" for v in report.values())
        return (200 if ok else 503), {"status": "ok" if ok else "degraded", "services": report}

    @http("GET", "/live")
    def live(self, request: Request) -> tuple[int, dict[str, str], str]:
        """Liveness (Kubernetes): the process answers; nothing else is asked."""
        return health.LIVE

    @http("GET", "/ready")
    def ready(self, request: Request) -> tuple[int, dict[str, str], str]:
        """Readiness (Kubernetes): the gateway's own database answers. A service that is
        down fails its own requests (503) and shows in /health; it does not take every
        gateway pod out of the load balancer."""
        return health.probe_response(health.readiness("gateway", self.db))

    @api("GET", "/api/v1/openapi.json", summary="this document")
    def openapi(self, call: Call) -> dict[str, Any]:
        return build_spec(type(self))

    @api("GET", "/api/docs", summary="this API, as a readable page")
    def docs(self, call: Call) -> Response:
        return Response(docs_page(type(self)), mimetype="text/html")

    @timer(interval=3600)
    def purge_idempotency_keys(self) -> None:
        """Keys are kept 48 hours (at least the 24 the contract promises)."""
        idempotency.purge_expired(self.db)

    @timer(interval=60)
    def finish_signups(self) -> None:
        """Sign-ups whose service was out of reach (or whose gateway died mid-way); and
        providers' applications never confirmed, past their link's life."""
        signups.finish_pending(self.db, self._rpc)
        signups.forget_unconfirmed(self.db)

    @http("GET,POST,HEAD", "/")
    def front_page(self, request: Request) -> Response:
        return pages.forward(request)

    @http("GET,POST,HEAD", "/<path:path>")
    def any_page(self, request: Request, path: str) -> Response:
        return pages.forward(request)


class TimedCall:
    """Health probes use a short deadline whatever the dependency's own."""

    def __init__(self, service: Any, timeout: float = 3.0) -> None:
        self.service = service
        self.timeout = timeout

    def health(self) -> dict[str, Any]:
        try:
            with eventlet.Timeout(self.timeout):
                return self.service.health()
        except eventlet.Timeout as exc:
            raise ServiceUnavailable("no answer") from exc
