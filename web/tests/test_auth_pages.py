"""Signing-in pages without any server: a stand-in for the API's anonymous calls,
checking how a refusal reads (by its code, never its message)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web.client import ApiError  # noqa: E402
from web.pages.auth import AuthPages  # noqa: E402
from web.routing import Page  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402
from werkzeug.wrappers import Request  # noqa: E402

pages = AuthPages()


def reset_page(answer: Any, lang: str, sent: list[Any] | None = None) -> Any:
    """The reset page's answer when the API answers `answer` (raised when an error);
    the bodies it sent, in `sent`."""
    builder = EnvironBuilder(method="POST", path="/password/reset",
                             data={"csrf_token": "tok", "email": "anna@example.test"},
                             headers={"Cookie": f"wecare_csrf=tok; wecare_lang={lang}"})
    page = Page(Request(builder.get_environ()))

    def anonymous(method: str, path: str, **kwargs: Any) -> Any:
        assert (method, path) == ("POST", "/auth/password-reset")
        if sent is not None:
            sent.append(kwargs["json"])
        if isinstance(answer, Exception):
            raise answer
        return answer

    page.api_anonymous = anonymous  # type: ignore[method-assign]
    return pages.reset(page)


def test_too_many_reset_requests_say_so_in_the_person_s_language() -> None:
    """Resets are limited per address and per account (issue 23.4): the page says to
    wait, from the code; what was typed stays."""
    refused = ApiError(429, "rate_limited", "too many attempts; try again in 3000 s",
                       params={"retry_after": 3000})
    for lang, words in (("it", "Troppi tentativi"), ("en", "Too many attempts")):
        response = reset_page(refused, lang)
        page = response.get_data(as_text=True)
        assert response.status_code == 429 and words in page, lang
        assert 'value="anna@example.test"' in page and "3000 s" not in page


def test_the_reset_link_is_asked_for_in_the_page_s_language() -> None:
    """The email with the link is written in the language of the page that asked."""
    for lang in ("it", "en"):
        sent: list[Any] = []
        assert reset_page({"accepted": True}, lang, sent).status_code == 200
        assert sent == [{"email": "anna@example.test", "language": lang}]


def _token(claims: dict[str, Any]) -> str:
    import base64
    import json

    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"x.{payload}.y"


def test_a_session_is_named_to_the_service_worker_and_unnamed_when_it_ends() -> None:
    """The browser learns which session it holds (a digest, never a token) and until
    when, in a cookie the service worker can read and on every page; signing out
    clears both (issue 23.7: the vouchers kept offline go with the session)."""
    import time

    from web.routing import SESSION, SESSION_HEADER
    from werkzeug.wrappers import Response

    builder = EnvironBuilder(method="POST", path="/sign-in")
    page = Page(Request(builder.get_environ()))
    page.sign_in({"access_token": _token({"role": "employee", "sid": "session-1",
                                          "exp": int(time.time()) + 1800}),
                  "refresh_token": "r" * 40, "expires_in": 1800})
    response = page.finish(Response("ok", mimetype="text/html"))
    cookies = response.headers.getlist("Set-Cookie")
    (marker,) = [c for c in cookies if c.startswith(f"{SESSION}=")]
    value = marker.split(";")[0].split("=", 1)[1]
    digest, until = value.split(".")
    assert len(digest) == 16 and "session-1" not in marker
    assert abs(int(until) - (time.time() + 14 * 24 * 3600)) < 5
    assert "HttpOnly" not in marker and "Max-Age=1209600" in marker
    assert all("HttpOnly" in c for c in cookies if not c.startswith(f"{SESSION}="))
    assert response.headers[SESSION_HEADER] == value

    builder = EnvironBuilder(method="POST", path="/sign-out", headers={
        "Cookie": f"wecare_rt={'r' * 40}; {SESSION}={value}"})
    page = Page(Request(builder.get_environ()))
    assert page.finish(Response("ok")).headers[SESSION_HEADER] == value  # still held
    page.sign_out()
    response = page.finish(Response("ok"))
    assert response.headers[SESSION_HEADER] == ""
    assert any(c.startswith(f"{SESSION}=;") and "Max-Age=0" in c
               for c in response.headers.getlist("Set-Cookie"))
