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


def reset_page(answer: Any, lang: str) -> Any:
    builder = EnvironBuilder(method="POST", path="/password/reset",
                             data={"csrf_token": "tok", "email": "anna@example.test"},
                             headers={"Cookie": f"wecare_csrf=tok; wecare_lang={lang}"})
    page = Page(Request(builder.get_environ()))

    def anonymous(method: str, path: str, **kwargs: Any) -> Any:
        assert (method, path) == ("POST", "/auth/password-reset")
        raise answer

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
