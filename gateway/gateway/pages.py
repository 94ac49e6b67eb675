"""Pages: the gateway is the one door, so a request for anything that is not the
API goes on to the web app (`WEB_URL`) and its answer comes back as it was.
People reach pages and `/api/v1` at one origin."""

from __future__ import annotations

import os

import urllib3
from opentelemetry.trace import SpanKind
from urllib3.exceptions import HTTPError
from wecare_common import logs, tracing
from wecare_common.rpc import http_pool
from werkzeug.wrappers import Request, Response

from gateway.clients import client_address, over_https, transport_headers
from gateway.errors import error_body, json_response

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade", "content-length", "host"}
# the caller's trace context is the gateway's request span's parent; the web app gets
# the gateway's own (tracing.inject)
TRACE_HEADERS = {"traceparent", "tracestate"}
MAX_PAGE_BODY = 6 * 1024 * 1024  # a receipt photo (5 MiB) and its form
TIMEOUT = 40.0

_http: urllib3.PoolManager | None = None


def _pool() -> urllib3.PoolManager:
    """Kept-alive connections to the web app: the services' own kit
    (wecare_common.rpc.http_pool: no retry, no proxy, no cookie jar)."""
    global _http
    if _http is None:
        _http = http_pool()
    return _http


def web_url() -> str | None:
    return (os.environ.get("WEB_URL") or "").rstrip("/") or None


def forward(request: Request) -> Response:
    """Hand a page request to the web app; its answer, cookies included, back (with
    HSTS when the request came over HTTPS)."""
    return transport_headers(request, _forward(request))


def _forward(request: Request) -> Response:
    target = web_url()
    if request.path.startswith("/api/"):
        return json_response(404, error_body("not_found", "no such API path"))
    if target is None:
        return json_response(404, error_body(
            "not_found", "no web app here: set WEB_URL to serve pages"))
    if request.content_length and request.content_length > MAX_PAGE_BODY:
        return Response("too large", status=413, mimetype="text/plain")
    headers = {k: v for k, v in request.headers.items()
               if k.lower() not in HOP_BY_HOP and k.lower() not in TRACE_HEADERS}
    headers[logs.REQUEST_ID_HEADER] = logs.REQUEST_ID.get() or ""
    headers["X-Forwarded-For"] = client_address(request)
    headers["X-Forwarded-Proto"] = "https" if over_https(request) else "http"
    headers["X-Forwarded-Host"] = request.host
    try:
        with tracing.span(request.method, SpanKind.CLIENT, attributes={
                "http.request.method": request.method, "server.address": "web"}):
            tracing.inject(headers)  # this gateway's span: the web app's parent
            answer = _pool().request(
                request.method, target + request.full_path.rstrip("?"), headers=headers,
                body=request.get_data() if request.method in ("POST", "PUT", "PATCH") else None,
                redirect=False, retries=False, timeout=TIMEOUT, preload_content=False)
            # the bytes as the web app sent them: compressed stays compressed
            content = answer.read(decode_content=False)
            answer.release_conn()  # back to the pool
    except (HTTPError, OSError):
        return Response("WeCare's pages are not available right now; try again in a moment.",
                        status=503, mimetype="text/plain", headers={"Retry-After": "5"})
    # every header as sent, Set-Cookie included once per cookie
    return Response(content, status=answer.status,
                    headers=[(name, value) for name, value in answer.headers.items()
                             if name.lower() not in HOP_BY_HOP])
