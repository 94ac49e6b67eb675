"""The web app's one way into WeCare: the public API `/api/v1`, over HTTP, with
the signed-in person's own token. The web app reads no table and calls no RPC,
so the gateway stays the one authority on who may do what."""

from __future__ import annotations

import json as jsonlib
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import urllib3
from opentelemetry.trace import SpanKind
from urllib3.exceptions import HTTPError
from wecare_common import logs, tracing
from wecare_common.rpc import http_pool

TIMEOUT = 35.0  # a little over the gateway's slowest downstream deadline (30 s)
# the gateway says, on every answer to an employee who left, until when they may read
READ_ONLY_HEADER = "WeCare-Read-Only-Until"

_http: urllib3.PoolManager | None = None


def gateway_url() -> str:
    return os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000").rstrip("/")


def http() -> urllib3.PoolManager:
    """The process's pool of kept-alive connections, the services' own kit
    (wecare_common.rpc.http_pool: no retry, no proxy, no cookie jar; green threads
    share it)."""
    global _http
    if _http is None:
        _http = http_pool()
    return _http


def encode(json: Any = None, files: dict[str, Any] | None = None,
           data: dict[str, Any] | bytes | None = None) -> tuple[bytes | None, dict[str, str]]:
    """A request's body and its Content-Type: JSON, a multipart form (`data`'s fields
    and `files`, each (filename, bytes, type)), a urlencoded form, or bytes as given."""
    if json is not None:
        return jsonlib.dumps(json).encode(), {"Content-Type": "application/json"}
    if files:
        fields = dict(data) if isinstance(data, dict) else {}
        body, kind = urllib3.encode_multipart_formdata({**fields, **files})
        return body, {"Content-Type": kind}
    if isinstance(data, dict):
        return urlencode(data).encode(), {
            "Content-Type": "application/x-www-form-urlencoded"}
    return data, {}


@dataclass
class ApiError(Exception):
    """An answer of the API that is not a success, as the contract shapes it: a page
    decides by `code`, `params` and each field's `problems` (web.refusals says them).
    The API's English message is kept for the log only (`english`, read by nothing
    but `__str__`: web/tests/test_refusals.py fails a page that reads it)."""

    status: int
    code: str
    english: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.english}"


@dataclass
class Answer:
    status: int
    data: Any
    headers: dict[str, str]
    content: bytes = b""


def call(method: str, path: str, *, token: str | None = None, json: Any = None,
         params: dict[str, Any] | None = None, key: str | None = None,
         files: dict[str, Any] | None = None, data: dict[str, Any] | bytes | None = None,
         client_address: str | None = None, raw: bool = False,
         headers: dict[str, str] | None = None) -> Answer:
    """Call `/api/v1{path}`; an error answer raises ApiError. `data` may be bytes
    (a CSV file) with its `Content-Type` in `headers`."""
    headers = {"Accept": "application/json", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    if client_address:
        # the gateway trusts this only from a proxy it knows (WECARE_TRUSTED_PROXIES)
        headers["X-Forwarded-For"] = client_address
    if params:
        params = {k: v for k, v in params.items() if v not in (None, "")}
    request_id = logs.REQUEST_ID.get()
    if request_id is not None:  # the page's request, on to the API's logs
        headers[logs.REQUEST_ID_HEADER] = request_id
    body, kind = encode(json, files, data)
    headers = {**kind, **headers}
    url = f"{gateway_url()}/api/v1{path}"
    if params:
        url += "?" + urlencode(params, doseq=True)
    try:
        with tracing.span(method, SpanKind.CLIENT, attributes={
                "http.request.method": method, "server.address": "gateway"}) as current:
            tracing.inject(headers)
            r = http().request(method, url, body=body, headers=headers, timeout=TIMEOUT,
                               redirect=False, retries=False)
            if current is not None:
                current.set_attribute("http.response.status_code", r.status)
    except (HTTPError, OSError) as exc:
        raise ApiError(503, "service_unavailable", "WeCare cannot be reached right now") from exc
    if r.status >= 400:
        try:
            error = jsonlib.loads(r.data)["error"]
        except (ValueError, KeyError, TypeError):
            error = {"code": "unexpected_error",
                     "message": r.data[:200].decode("utf-8", "replace")}
        raise ApiError(r.status, error.get("code") or "unexpected_error",
                       error.get("message", ""), error.get("params") or {},
                       error.get("problems") or {}, dict(r.headers))
    if raw:
        return Answer(r.status, None, dict(r.headers), r.data)
    return Answer(r.status, jsonlib.loads(r.data) if r.data else None, dict(r.headers))
