"""The web app's API client (web.client) on the services' HTTP kit
(wecare_common.rpc.http_pool), against a stand-in gateway: what it sends (the
person's token, the query, JSON, a file as multipart, bytes as given) and what an
answer becomes (data, raw bytes, ApiError by code, 503 when nothing answers)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from web.client import ApiError, call, encode


class Gateway(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Gateway.seen.append({"method": self.command, "path": self.path,
                             "headers": dict(self.headers), "body": body})
        if self.path.startswith("/api/v1/refused"):
            status, answer = 422, {"error": {"code": "not_enough_credit", "message": "short",
                                             "params": {"available_cents": 5}}}
        elif self.path.startswith("/api/v1/broken"):
            status, answer = 502, None
        else:
            status, answer = 200, {"ok": True}
        data = b"<html>bad gateway" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = _answer


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("GATEWAY_URL", f"http://127.0.0.1:{server.server_port}")
    Gateway.seen = []
    yield Gateway.seen
    server.shutdown()
    server.server_close()


def test_a_call_sends_the_token_the_query_and_json(gateway) -> None:
    answer = call("POST", "/plans", token="t0k", key="k-1", json={"name": "Welfare"},
                  params={"year": 2026, "q": None, "ids": ["a", "b"]},
                  client_address="10.0.0.7")
    assert answer.status == 200 and answer.data == {"ok": True}
    sent = gateway[0]
    assert sent["path"] == "/api/v1/plans?year=2026&ids=a&ids=b"
    assert sent["headers"]["Authorization"] == "Bearer t0k"
    assert sent["headers"]["Idempotency-Key"] == "k-1"
    assert sent["headers"]["X-Forwarded-For"] == "10.0.0.7"
    assert sent["headers"]["Content-Type"] == "application/json"
    assert json.loads(sent["body"]) == {"name": "Welfare"}


def test_a_file_goes_as_multipart_with_the_form_s_fields(gateway) -> None:
    call("POST", "/me/reimbursements", data={"amount_cents": "1200"},
         files={"receipt": ("r.png", b"\x89PNG", "image/png")})
    sent = gateway[0]
    assert sent["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="amount_cents"\r\n\r\n1200' in sent["body"]
    assert b'filename="r.png"' in sent["body"] and b"\x89PNG" in sent["body"]


def test_bytes_go_as_given_and_a_raw_answer_keeps_its_bytes(gateway) -> None:
    answer = call("POST", "/import", data=b"a;b\n", headers={"Content-Type": "text/csv"},
                  raw=True)
    assert gateway[0]["body"] == b"a;b\n" and gateway[0]["headers"]["Content-Type"] == "text/csv"
    assert answer.content == b'{"ok": true}' and answer.data is None


def test_a_refusal_is_an_api_error_by_its_code_and_params(gateway) -> None:
    with pytest.raises(ApiError) as refused:
        call("GET", "/refused")
    assert (refused.value.status, refused.value.code) == (422, "not_enough_credit")
    assert refused.value.params == {"available_cents": 5}
    with pytest.raises(ApiError) as broken:
        call("GET", "/broken")
    assert (broken.value.status, broken.value.code) == (502, "unexpected_error")


def test_no_gateway_is_service_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), Gateway) as closed:
        port = closed.server_port
    monkeypatch.setenv("GATEWAY_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(ApiError) as down:
        call("GET", "/me/wallet")
    assert (down.value.status, down.value.code) == (503, "service_unavailable")


def test_a_body_is_json_a_form_or_bytes() -> None:
    assert encode(json={"a": 1}) == (b'{"a": 1}', {"Content-Type": "application/json"})
    assert encode(data={"a": "1 2"}) == (b"a=1+2", {
        "Content-Type": "application/x-www-form-urlencoded"})
    assert encode(data=b"raw") == (b"raw", {})
    assert encode() == (None, {})
