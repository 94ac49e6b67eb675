"""A local stand-in for the Stripe API, enough for the SDK calls WeCare makes
(PaymentIntents, Transfers), honouring Idempotency-Key like Stripe does; and
webhook signing exactly as Stripe signs (`t=…,v1=HMAC-SHA256`).

For browser tests it also serves a stand-in of Stripe.js at /v3/ (the Payment
Element and confirmPayment: stripe_js_standin.js) and the confirmation that
script makes from the page (POST /v1/payment_intents/:id/confirm, with the
publishable key and the client secret, CORS open as Stripe's API is). Under
eventlet (`nameko test`) it serves from a green thread; `threaded=True` serves
from an OS thread, for plain pytest (the browser tests)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from support import free_port

STRIPE_JS = Path(__file__).with_name("stripe_js_standin.js")
ELEMENT_FRAME = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>Payment</title><style>
body {{ margin: 0; padding: 2px; font: 16px system-ui, sans-serif; color: #30313d; }}
label {{ display: block; margin-bottom: 4px; }}
input {{ box-sizing: border-box; width: 100%; padding: 10px 12px; font: inherit;
         border: 1px solid #6d6e78; border-radius: 5px; }}
</style></head><body>
<label for="number">{label}</label>
<input id="number" name="number" autocomplete="cc-number" value="4242 4242 4242 4242">
</body></html>"""
CORS = [("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Headers", "Content-Type, Authorization, Stripe-Version"),
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS")]
CONFIRM = re.compile(r"^/v1/payment_intents/(?P<pi>pi_[0-9a-f]+)/confirm$")


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


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
    def __init__(self, threaded: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.js_url = f"{self.url}/v3/"  # Stripe.js, as WECARE_STRIPE_JS_URL names it
        self.requests: list[dict[str, Any]] = []
        self.objects: dict[str, dict[str, Any]] = {}
        self.declines: list[str] = []  # the next confirmations refused, with these messages
        self._by_key: dict[str, dict[str, Any]] = {}
        if threaded:
            self._wsgi = make_server("127.0.0.1", self.port, self._app,
                                     server_class=_ThreadingServer, handler_class=_QuietHandler)
            threading.Thread(target=self._wsgi.serve_forever, daemon=True).start()
            self._server = None
        else:
            import eventlet
            from eventlet import wsgi

            sock = eventlet.listen(("127.0.0.1", self.port))
            self._server = eventlet.spawn(wsgi.server, sock, self._app, log_output=False)

    def _browser(self, environ: dict, start_response: Any, path: str,
                 params: dict[str, Any]) -> list[bytes]:
        """What a page's Stripe.js asks for: the script, the element's frame, a confirmation."""
        if environ["REQUEST_METHOD"] == "OPTIONS":
            start_response("204 No Content", CORS)
            return [b""]
        if path in ("/v3", "/v3/"):
            start_response("200 OK", [("Content-Type", "application/javascript; charset=utf-8"),
                                      ("Cache-Control", "no-store")])
            return [STRIPE_JS.read_bytes()]
        if path == "/v3/elements-inner.html":
            italian = "locale=it" in environ.get("QUERY_STRING", "")
            html = ELEMENT_FRAME.format(lang="it" if italian else "en",
                                        label="Numero della carta" if italian else "Card number")
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [html.encode()]
        match = CONFIRM.match(path)
        intent = self.objects.get(match["pi"]) if match else None
        if intent is None or params.get("client_secret") != intent.get("client_secret") or (
                not str(params.get("key", "")).startswith("pk_")):
            start_response("404 Not Found", [("Content-Type", "application/json"), *CORS])
            return [json.dumps({"error": {"type": "invalid_request_error",
                                          "message": "No such payment_intent"}}).encode()]
        if self.declines:
            message = self.declines.pop(0)
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {"code": "card_declined", "message": message}
            start_response("402 Payment Required", [("Content-Type", "application/json"), *CORS])
            return [json.dumps({"error": {"type": "card_error", "code": "card_declined",
                                          "message": message}}).encode()]
        intent["status"] = "succeeded"
        intent["payment_method"] = "pm_" + secrets.token_hex(8)
        start_response("200 OK", [("Content-Type", "application/json"), *CORS])
        return [json.dumps(intent).encode()]

    def _app(self, environ: dict, start_response: Any) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        params = _flatten(parse_qsl(environ["wsgi.input"].read(size).decode()))
        path, key = environ["PATH_INFO"], environ.get("HTTP_IDEMPOTENCY_KEY")
        self.requests.append({"path": path, "params": params, "idempotency_key": key,
                              "auth": environ.get("HTTP_AUTHORIZATION", "")})
        if path.startswith("/v3") or CONFIRM.match(path) or (
                environ["REQUEST_METHOD"] == "OPTIONS"):
            return self._browser(environ, start_response, path, params)
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
        if self._server is not None:
            self._server.kill()
        else:
            self._wsgi.shutdown()
            self._wsgi.server_close()


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
