"""What every room shares: the dependencies its handlers use, the tenancy checks,
running a money-moving request once, and signing someone up."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from wecare_common import languages
from wecare_common.contract import refusals
from wecare_common.errors import DomainError

from gateway import errors, idempotency, signups
from gateway.auth import Principal
from gateway.routing import Call, SignedInCall


def own_company(principal: Principal, company_id: str) -> None:
    """Admins see every company; an HR manager only their own."""
    if principal.role != "admin" and principal.company_id != company_id:
        raise refusals.COMPANY_UNKNOWN(field="company_id")


def own_network(principal: Principal, network_id: str) -> None:
    """Admins see every network; its staff only their own. A staff account that names
    no network reaches none (fail closed), and nobody else reaches any."""
    if principal.role == "admin":
        return
    if principal.role != "network" or not principal.network_id or (
            principal.network_id != network_id):
        raise refusals.NOT_FOUND(field="network_id")


def own_provider(principal: Principal, provider_id: str) -> None:
    if principal.role != "admin" and principal.provider_id != provider_id:
        raise refusals.PROVIDER_UNKNOWN(field="provider_id")


def request_language(call: Call) -> str:
    """The language of what a request has WeCare write (an application's emails, an
    invitation, a reset link): the body's `language`, else its Accept-Language's best
    match, else Italian."""
    return languages.chosen((call.body or {}).get("language"),
                            call.request.headers.get("Accept-Language"))


def json_ready(body: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO strings: RPC payloads are JSON."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in body.items()}


def _as_response(exc: DomainError) -> tuple[int, Any]:
    response = errors.response_from_exception(exc)
    return response.status_code, json.loads(response.get_data())


class Room:
    """The dependencies, as a worker sees them (`gateway.service` declares them): the
    gateway's own database session, and an RPC proxy per service."""

    db: Session
    catalog: Any
    benefits: Any
    wallet: Any
    notifications: Any

    def _once(self, call: SignedInCall, action: Callable[[], Any],
              status: int) -> tuple[int, Any]:
        """Run a money-moving action at most once per caller and key."""
        if call.idempotency_key is None:
            raise TypeError("_once is for routes declared with moves_money=True")
        return idempotency.run_once(
            self.db, caller=call.principal.user_id, key=call.idempotency_key,
            fingerprint=idempotency.request_hash(call.request.method, call.request.path,
                                                 call.body),
            action=lambda: (status, action()), to_response=_as_response)

    def _downstream_key(self, call: SignedInCall) -> str:
        return downstream_key(call.principal.user_id, call.idempotency_key or "")

    def _rpc(self, service: str, method: str) -> Any:
        return getattr(getattr(self, service), method)

    def _sign_up(self, call: Call, kind: str, *, email: str, role: str,
                 password: str | None, service: str, method: str, args: list[Any],
                 kwargs: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """The account recorded first, the service asked with no transaction open, then
        the account linked (signups); a retry with the Idempotency-Key resumes it."""
        principal = call.principal
        body = {k: v for k, v in call.body.items() if k != "password"}
        if isinstance(body.get("hr_manager"), dict):
            body["hr_manager"] = {k: v for k, v in body["hr_manager"].items()
                                  if k != "password"}
        return signups.sign_up(
            self.db, kind=kind, caller=principal.user_id if principal else None,
            key=call.request.headers.get("Idempotency-Key", "").strip()[:200] or None,
            request_hash=signups.fingerprint({"path": call.request.path, "body": body}),
            email=email, role=role, password=password, rpc=self._rpc,
            call={"service": service, "method": method, "args": args, "kwargs": kwargs},
            **extra)


def downstream_key(user_id: str, key: str) -> str:
    """What the services are given for a caller's Idempotency-Key."""
    return f"{user_id}:{idempotency.bounded(key)}"
