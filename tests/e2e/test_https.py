"""HSTS on HTTPS (issue 23.9): behind an ingress that ended TLS (a proxy we trust,
saying `X-Forwarded-Proto: https`), every answer of the one origin asks the browser
to keep to HTTPS: the API's successes and refusals, and the pages the gateway
forwards; over plain HTTP none does."""

from __future__ import annotations

import requests

HTTPS = {"X-Forwarded-Proto": "https"}


def test_every_answer_over_https_carries_hsts_and_none_over_http(stack) -> None:
    asked = [("GET", "/api/v1/fiscal-rules"), ("GET", "/api/v1/me"),  # a 200, a 401
             ("POST", "/api/v1/auth/token"), ("GET", "/"), ("GET", "/static/nope")]
    for method, path in asked:
        secure = requests.request(method, stack.url + path, headers=HTTPS, timeout=10,
                                  allow_redirects=False)
        plain = requests.request(method, stack.url + path, timeout=10, allow_redirects=False)
        assert secure.status_code == plain.status_code, path
        assert secure.headers.get("Strict-Transport-Security") == (
            "max-age=31536000; includeSubDomains"), (path, secure.status_code)
        assert "Strict-Transport-Security" not in plain.headers, path
