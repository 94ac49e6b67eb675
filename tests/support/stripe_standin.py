"""A local stand-in for the Stripe API, enough for the SDK calls WeCare makes
(PaymentIntents, Transfers), honouring Idempotency-Key like Stripe does; and
webhook signing exactly as Stripe signs (`t=…,v1=HMAC-SHA256`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

import eventlet
from eventlet import wsgi

from support import free_port


def _flatten(form: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in form:
        if "[" in key:
            outer, inner = key.split("[", 1)
            out.setdefault(outer, {})[inner.rstrip("]").rstrip("[")] = value
        else:
            out[key] = value
    return out


class StripeStandIn:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[dict[str, Any]] = []
        self.objects: dict[str, dict[str, Any]] = {}
        self._by_key: dict[str, dict[str, Any]] = {}
        sock = eventlet.listen(("127.0.0.1", self.port))
        self._server = eventlet.spawn(wsgi.server, sock, self._app, log_output=False)

    def _app(self, environ: dict, start_response: Any) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        params = _flatten(parse_qsl(environ["wsgi.input"].read(size).decode()))
        path, key = environ["PATH_INFO"], environ.get("HTTP_IDEMPOTENCY_KEY")
        self.requests.append({"path": path, "params": params, "idempotency_key": key,
                              "auth": environ.get("HTTP_AUTHORIZATION", "")})
        if key and key in self._by_key:
            body = self._by_key[key]
        elif path == "/v1/payment_intents":
            pi = "pi_" + secrets.token_hex(8)
            body = {"id": pi, "object": "payment_intent", "amount": int(params["amount"]),
                    "currency": params["currency"], "metadata": params.get("metadata", {}),
                    "status": "requires_payment_method",
                    "client_secret": f"{pi}_secret_{secrets.token_hex(8)}"}
        elif path == "/v1/transfers":
            body = {"id": "tr_" + secrets.token_hex(8), "object": "transfer",
                    "amount": int(params["amount"]), "currency": params["currency"],
                    "destination": params["destination"]}
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [json.dumps({"error": {"message": f"no route {path}"}}).encode()]
        if key:
            self._by_key[key] = body
        self.objects[body["id"]] = body
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    def stop(self) -> None:
        self._server.kill()


def signed(event: dict[str, Any], secret: str, at: int | None = None) -> tuple[str, str]:
    """(payload, Stripe-Signature header) as Stripe would send them."""
    payload = json.dumps(event)
    timestamp = at if at is not None else int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(),
                      hashlib.sha256).hexdigest()
    return payload, f"t={timestamp},v1={digest}"


def payment_event(kind: str, intent: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "evt_" + secrets.token_hex(8), "object": "event", "type": kind,
            "created": int(time.time()), "api_version": "2024-06-20", "livemode": False,
            "data": {"object": {**intent, **extra}}}
