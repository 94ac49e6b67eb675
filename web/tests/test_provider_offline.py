"""The provider's counter with no network, the server's side of it, without any server
(docs/offline.md): what the phone is given to keep (keys, limits, the server's time,
a fresh CSRF token), what a queued redemption becomes when it is sent (one item, with
the Idempotency-Key the phone made), each answer as the phone acts on it and says it,
and the redeem page carrying the offline answers in both languages."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from web.client import ApiError
from web.i18n import Lang
from web.pages.provider import ProviderPages, limits_of, offline_body, offline_outcome
from web.routing import Page
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from web import views

CLAIMS = base64.urlsafe_b64encode(json.dumps(
    {"role": "provider", "provider_id": "p-1", "exp": 4_000_000_000}).encode()
).decode().rstrip("=")
TOKEN = f"x.{CLAIMS}.y"
KEYS = {"keys": [{"kid": "k1", "public_key": "A" * 43, "not_before": "2026-01-01T00:00:00+00:00",
                  "not_after": "2027-01-01T00:00:00+00:00"}]}
LIMITS = {"voucher_cents": 15_000, "waiting_cents": 50_000, "hours": 48}
ITEM = {"key": "a" * 32, "qr": "WC1.eyJ2IjoiWCJ9.c2ln", "accepted_at": "2026-12-07T09:14:03Z",
        "device": "d" * 32}
IT, EN = Lang("it"), Lang("en")
pages = ProviderPages()


class FakePage(Page):
    """A provider's request whose API answers are canned: {(method, path): answer}."""

    def __init__(self, answers: dict[tuple[str, str], Any], method: str = "GET",
                 path: str = "/provider/redeem", body: Any = None, lang: str = "en") -> None:
        builder = EnvironBuilder(method=method, path=path, json=body,
                                 headers={"Cookie": f"wecare_at={TOKEN}; wecare_csrf=c; "
                                                    f"wecare_lang={lang}"})
        super().__init__(Request(builder.get_environ()))
        self.answers = answers
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        self.calls.append((method, path, kwargs))
        answer = self.answers[(method, path)]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.api(method, path, **kwargs)


def test_the_phone_is_given_the_keys_the_limits_the_time_and_a_csrf_token() -> None:
    page = FakePage({("GET", "/voucher-keys"): KEYS,
                     ("GET", "/me"): {"provider": {"id": "p-1"}, "offline_limits": LIMITS}},
                    path="/provider/redeem/offline-state")
    response = pages.provider_offline_state(page)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    state = json.loads(response.get_data())
    assert state["provider"] == "p-1" and state["keys"] == KEYS["keys"]
    assert state["limits"] == LIMITS and state["csrf"] == "c"
    assert re.match(r"\d{4}-\d\d-\d\dT", state["now"])


def test_limits_the_api_does_not_give_mean_no_offline_acceptance() -> None:
    assert limits_of({"offline_limits": LIMITS}) == LIMITS
    assert limits_of({"provider": {"offline_limits": LIMITS}}) == LIMITS
    assert limits_of({"offline_limits": None}) is None
    assert limits_of({"offline_limits": {**LIMITS, "hours": "48"}}) is None
    assert limits_of({"offline_limits": {**LIMITS, "voucher_cents": -1}}) is None
    assert limits_of(None) is None
    # a provider not (or no longer) in the circuit accepts nothing offline
    assert limits_of({"provider": {"status": "suspended"}, "offline_limits": LIMITS}) == {
        "voucher_cents": 0, "waiting_cents": 0, "hours": 0}
    assert limits_of({"provider": {"status": "approved"}, "offline_limits": LIMITS}) == LIMITS
    # a part that could not answer: the keys still come, the limits do not
    page = FakePage({("GET", "/voucher-keys"): KEYS,
                     ("GET", "/me"): ApiError(503, "service_unavailable", "down")},
                    path="/provider/redeem/offline-state")
    state = json.loads(pages.provider_offline_state(page).get_data())
    assert state["keys"] == KEYS["keys"] and state["limits"] is None


def test_a_queued_redemption_is_sent_alone_with_the_key_the_phone_made() -> None:
    answer = {"items": [{"code": "7ZQW", "outcome": "recorded", "refusal": None}]}
    page = FakePage({("POST", "/provider/redemptions/offline"): answer}, method="POST",
                    path="/provider/redeem/offline", body=ITEM)
    response = pages.provider_offline_send(page)
    assert json.loads(response.get_data()) == {"outcome": "recorded"}
    [(method, path, kwargs)] = page.calls
    assert kwargs["key"] == ITEM["key"]
    assert kwargs["json"] == offline_body(ITEM) == {"items": [{
        "signed": ITEM["qr"], "accepted_at": ITEM["accepted_at"], "device_id": ITEM["device"]}]}


@pytest.mark.parametrize("body", [None, [], {**ITEM, "qr": ""}, {**ITEM, "key": 3},
                                  {k: v for k, v in ITEM.items() if k != "device"}])
def test_what_cannot_be_read_is_not_sent(body: Any) -> None:
    page = FakePage({}, method="POST", path="/provider/redeem/offline", body=body)
    response = pages.provider_offline_send(page)
    assert response.status_code == 400 and not page.calls
    assert json.loads(response.get_data())["outcome"] == "refused"


@pytest.mark.parametrize(("error", "outcome"), [
    (ApiError(503, "service_unavailable", "down"), "retry"),
    (ApiError(409, "request_in_progress", "busy"), "retry"),
    (ApiError(429, "rate_limited", "slow", params={"retry_after": 60}), "retry"),
    (ApiError(404, "not_found", "an older gateway without the route"), "retry"),
    (ApiError(403, "provider_not_in_circuit", "suspended"), "refused"),
])
def test_an_error_of_the_whole_request_is_tried_again_or_said(error: ApiError,
                                                                outcome: str) -> None:
    page = FakePage({("POST", "/provider/redemptions/offline"): error}, method="POST",
                    path="/provider/redeem/offline", body=ITEM, lang="it")
    answer = json.loads(pages.provider_offline_send(page).get_data())
    assert answer["outcome"] == outcome
    if outcome == "refused":
        assert answer["code"] == "provider_not_in_circuit" and answer["message"]


def test_each_answer_as_the_phone_acts_on_it_in_the_person_s_language() -> None:
    assert offline_outcome(EN, {"items": [{"outcome": "recorded"}]}) == {"outcome": "recorded"}
    already = {"items": [{"outcome": "already_redeemed_by_you",
                          "redeemed_at": "2026-03-12T09:42:00+00:00"}]}
    assert offline_outcome(EN, already) == {"outcome": "already", "message": (
        "You had already redeemed it on 12 Mar 2026, 10:42, online or on another phone: "
        "it is paid once.")}
    assert "12/03/2026 10:42" in offline_outcome(IT, already)["message"]
    refused = {"items": [{"outcome": "refused", "refusal": {
        "code": "voucher_for_another_provider", "message": "English never read",
        "params": {}}}]}
    said = offline_outcome(IT, refused)
    assert said["outcome"] == "refused" and said["code"] == "voucher_for_another_provider"
    assert said["message"] and "English never read" not in said["message"]
    for strange in (None, {}, {"items": []}, {"items": [{"outcome": "maybe"}]}):
        assert offline_outcome(EN, strange) == {"outcome": "retry"}


def _render(language: str, **context: Any) -> str:
    environ = EnvironBuilder(path="/provider/redeem", headers={
        "Accept-Language": language, "Cookie": f"wecare_at={TOKEN}; wecare_csrf=c"}
    ).get_environ()
    return views.render("provider/redeem.html", Page(Request(environ)), **context)


OFFLINE_WORDS = {
    "it": ["Valido — sarà registrato", "Non è un tuo buono", "Buono scaduto", "Già riscosso qui",
           "Non valido", "Non verificabile senza rete", "Non senza rete",
           "1 riscossione aspetta di essere inviata a WeCare."],
    "en": ["Valid — will be recorded", "Not your voucher", "Voucher expired",
           "Already redeemed here", "Not valid", "Cannot check without network",
           "Not without network", "1 redemption waits to be sent to WeCare."],
}


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_scanning_page_carries_every_offline_answer_in_words_with_an_icon(
        language: str) -> None:
    html = _render(language, verdict=None, voucher=None, code="", provider={})
    assert "js/offline.js" in html and "<script>" not in html
    assert 'data-provider="p-1"' in html and 'data-csrf="c"' in html
    for words in OFFLINE_WORDS[language]:
        assert words in html, words
    templates = re.findall(r'<template data-offline-verdict="(\w+)">(.*?)</template>', html, re.S)
    assert {"valid", "not_yours", "expired", "already_here", "invalid", "typed"} <= {
        kind for kind, _ in templates}
    for kind, body in templates:
        assert re.search(r'role="(status|alert)"', body), kind  # announced
        assert re.search(r"#(check|cross|alert|question|clock)\"", body), kind  # an icon
        assert 'href="/provider/redeem"' in body  # on to the next voucher
        assert 'id="verdict"' not in body  # given when shown: one on the page
    assert html.count('id="verdict"') == 0 and html.count("<h1") == 1


def test_an_online_answer_names_the_code_so_the_phone_remembers_it() -> None:
    voucher = {"code": "7ZQW-FRJX-W0H4-M6XQ-W", "title": "Nido", "amount_cents": 100}
    html = _render("en", verdict={"kind": "redeemed"}, voucher=voucher, code=voucher["code"],
                   provider={})
    assert 'data-code="7ZQW-FRJX-W0H4-M6XQ-W"' in html and "js/offline.js" in html
    assert "data-offline-verdict" not in html  # the answers with no network: scanning only
