"""The client's address behind proxies: X-Forwarded-For is believed only from a
proxy we trust, read from the right, so a client cannot pick its own address
(login and reset rate limits count per address). HTTPS the same way: answers to a
request that came over HTTPS carry HSTS, and only those."""

from __future__ import annotations

import pytest
from gateway.clients import HSTS, client_address, over_https, transport_headers
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response


def request(remote: str, forwarded: str | None = None, proto: str | None = None,
            url: str = "http://localhost/") -> Request:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    if proto is not None:
        headers["X-Forwarded-Proto"] = proto
    environ = EnvironBuilder(base_url=url, path="/", headers=headers).get_environ()
    environ["REMOTE_ADDR"] = remote
    return Request(environ)


@pytest.mark.parametrize("remote, forwarded, expected", [
    ("203.0.113.9", None, "203.0.113.9"),
    ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not through a trusted proxy: ignored
    ("127.0.0.1", None, "127.0.0.1"),
    ("127.0.0.1", "198.51.100.7", "198.51.100.7"),  # the web app, for a browser
    ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the left part was forged
    ("127.0.0.1", "198.51.100.7, 127.0.0.1", "198.51.100.7"),  # two proxies of ours
    ("127.0.0.1", "garbage", "garbage"),
])
def test_the_address_is_the_nearest_untrusted_hop(remote, forwarded, expected,
                                                   monkeypatch) -> None:
    monkeypatch.delenv("WECARE_TRUSTED_PROXIES", raising=False)
    assert client_address(request(remote, forwarded)) == expected


def test_trusted_proxies_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("WECARE_TRUSTED_PROXIES", "10.0.0.0/8")
    assert client_address(request("10.1.2.3", "198.51.100.7")) == "198.51.100.7"
    assert client_address(request("127.0.0.1", "198.51.100.7")) == "127.0.0.1"


@pytest.mark.parametrize("remote, proto, url, https", [
    ("127.0.0.1", "https", "http://localhost/", True),  # an ingress of ours ended TLS
    ("127.0.0.1", "http", "http://localhost/", False),
    ("127.0.0.1", None, "http://localhost/", False),
    ("203.0.113.9", "https", "http://localhost/", False),  # a client's own claim
    ("203.0.113.9", None, "https://localhost/", True),  # TLS ended here
    ("127.0.0.1", "http, https", "http://localhost/", True),  # the nearest proxy's word
])
def test_https_is_believed_from_the_connection_or_a_trusted_proxy(
        remote, proto, url, https, monkeypatch) -> None:
    monkeypatch.delenv("WECARE_TRUSTED_PROXIES", raising=False)
    asked = request(remote, proto=proto, url=url)
    assert over_https(asked) is https
    answer = transport_headers(asked, Response("ok"))
    assert answer.headers.get("Strict-Transport-Security") == (HSTS if https else None)
