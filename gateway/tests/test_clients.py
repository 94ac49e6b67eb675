"""The client's address behind proxies: X-Forwarded-For is believed only from a
proxy we trust, read from the right, so a client cannot pick its own address
(login and reset rate limits count per address)."""

from __future__ import annotations

import pytest
from gateway.clients import client_address
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request


def request(remote: str, forwarded: str | None = None) -> Request:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    environ = EnvironBuilder(path="/", headers=headers).get_environ()
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
