"""A provider's application from the public form (issue 23.5), without any server: the
form says to check the email whatever the answer, a sixth application in the hour says to
wait, and the emailed link's page confirms with its button only."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web.client import ApiError  # noqa: E402
from web.pages.provider import ProviderPages  # noqa: E402
from web.routing import Page  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402
from werkzeug.wrappers import Request  # noqa: E402

pages = ProviderPages()
FORM = {"name": "Ludoteca", "vat_number": "45678900049", "categories": "education",
        "address": "Via Po 1", "city": "Torino", "province": "TO", "lat": "45.07",
        "lon": "7.69", "email": "nido@example.test", "password": "a-long-password-1",
        "iban": "IT60X0542811101000000123456"}


def page_of(method: str, path: str, lang: str = "it", data: dict | None = None,
            answer: Any = None, sent: list | None = None) -> Page:
    builder = EnvironBuilder(method=method, path=path, data=data,
                             headers={"Cookie": f"wecare_csrf=tok; wecare_lang={lang}"})
    page = Page(Request(builder.get_environ()))

    def anonymous(verb: str, url: str, **kwargs: Any) -> Any:
        if sent is not None:
            sent.append((verb, url, kwargs.get("json")))
        if isinstance(answer, Exception):
            raise answer
        return answer

    page.api_anonymous = anonymous  # type: ignore[method-assign]
    return page


def test_an_application_leads_to_checking_the_email_or_to_waiting() -> None:
    sent: list = []
    response = pages.provider_apply(page_of("POST", "/providers/apply", data={
        "csrf_token": "tok", **FORM}, answer={"accepted": True}, sent=sent))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/providers/apply/done")
    assert sent[0][:2] == ("POST", "/providers")
    done = pages.provider_applied(page_of("GET", "/providers/apply/done"))
    assert "Controlla la tua email" in done.get_data(as_text=True)
    assert done.get_data(as_text=True).count("<h1>") == 1

    refused = ApiError(429, "rate_limited", "too many attempts; try again in 3000 s",
                       params={"retry_after": 3000})
    for lang, words in (("it", "Troppi tentativi"), ("en", "Too many attempts")):
        response = pages.provider_apply(page_of("POST", "/providers/apply", lang, data={
            "csrf_token": "tok", **FORM}, answer=refused))
        text = response.get_data(as_text=True)
        assert response.status_code == 400 and words in text, lang
        assert 'value="Ludoteca"' in text and "a-long-password-1" not in text


def _tokens() -> dict[str, Any]:
    claims = {"sub": "u1", "role": "provider", "sid": "s1", "exp": 9_999_999_999}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return {"access_token": f"x.{payload}.y", "refresh_token": "r", "expires_in": 1800,
            "role": "provider"}


def test_the_emailed_link_confirms_with_its_button_only() -> None:
    sent: list = []
    form = pages.provider_confirm_form(page_of(
        "GET", "/providers/apply/confirm?token=abc", sent=sent))
    text = form.get_data(as_text=True)
    assert sent == [] and 'name="token" value="abc"' in text  # opening it confirms nothing
    assert "Conferma e invia la domanda" in text

    response = pages.provider_confirm(page_of("POST", "/providers/apply/confirm", data={
        "csrf_token": "tok", "token": "abc"}, answer=_tokens(), sent=sent))
    assert sent == [("POST", "/providers/confirmation", {"token": "abc"})]
    assert response.status_code == 303 and response.headers["Location"].endswith("/provider")

    spent = ApiError(401, "link_invalid", "this link is not valid",
                     problems={"token": [{"code": "link_invalid", "params": {}}]})
    for lang, words in (("it", "Questo link è scaduto"), ("en", "This link has expired")):
        response = pages.provider_confirm(page_of("POST", "/providers/apply/confirm", lang,
                                                  data={"csrf_token": "tok", "token": "abc"},
                                                  answer=spent))
        assert response.status_code == 400 and words in response.get_data(as_text=True)


def test_the_form_sends_the_language_it_was_shown_in() -> None:
    for lang in ("it", "en"):
        shown = pages.provider_apply_form(page_of("GET", "/providers/apply", lang))
        assert f'name="language" value="{lang}"' in shown.get_data(as_text=True)
        sent: list = []
        pages.provider_apply(page_of("POST", "/providers/apply", lang, data={
            "csrf_token": "tok", **FORM, "language": lang}, answer={"accepted": True},
            sent=sent))
        assert sent[0][2]["language"] == lang
    # shown in English, sent after switching the page to Italian: the form's language
    sent = []
    pages.provider_apply(page_of("POST", "/providers/apply", "it", data={
        "csrf_token": "tok", **FORM, "language": "en"}, answer={"accepted": True}, sent=sent))
    assert sent[0][2]["language"] == "en"
    # none, or one we do not write in: the page's own
    for given in ({}, {"language": "de"}):
        sent = []
        pages.provider_apply(page_of("POST", "/providers/apply", "en", data={
            "csrf_token": "tok", **FORM, **given}, answer={"accepted": True}, sent=sent))
        assert sent[0][2]["language"] == "en"
