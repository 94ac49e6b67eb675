"""The web app's own rules, without any server: languages, amounts, dates,
safe redirects, and every message having its Italian."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from update_messages import PO, extracted  # noqa: E402
from web.i18n import Lang, catalog, negotiate, parse_amount  # noqa: E402
from web.routing import claims_of, safe_next  # noqa: E402

from web import views  # noqa: E402


def test_money_and_dates_the_italian_way_by_default_english_on_request() -> None:
    it, en = Lang("it"), Lang("en")
    assert it.money(123456) == "1.234,56\xa0€"
    assert en.money(123456) == "€1,234.56"
    assert it.date("2026-12-31") == "31/12/2026"
    assert en.date("2026-12-31T10:00:00+00:00") == "31 Dec 2026"
    assert it.money(0) == "0,00\xa0€" and it.money(None) == "—"


@pytest.mark.parametrize("cookie, header, expected", [
    (None, None, "it"), (None, "en-GB,en;q=0.9", "en"), (None, "de-DE,fr", "it"),
    ("it", "en", "it"), ("en", "it-IT", "en"), ("xx", "en", "en"),
])
def test_language_cookie_first_then_the_browser_then_italian(cookie, header, expected) -> None:
    assert negotiate(cookie, header) == expected


@pytest.mark.parametrize("typed, cents", [
    ("12,50", 1250), ("1.234,56", 123456), ("12.5", 1250), ("€ 40", 4000), ("40", 4000),
    ("1.234", 123400), ("0,01", 1), ("abc", None), ("-3", None), ("1,234", None), ("", None),
    ("12,555", None),
])
def test_amounts_as_people_type_them(typed: str, cents: int | None) -> None:
    assert parse_amount(typed) == cents


@pytest.mark.parametrize("target, expected", [
    ("/vouchers/1", "/vouchers/1"), ("/catalogue?q=asilo", "/catalogue?q=asilo"),
    ("https://evil.example/", "/"), ("//evil.example/x", "/"), ("/\\evil", "/"),
    (None, "/"), ("vouchers", "/"),
])
def test_redirects_stay_on_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_claims_are_read_from_a_token_and_garbage_reads_as_nothing() -> None:
    import base64
    import json
    payload = base64.urlsafe_b64encode(json.dumps({"role": "employee"}).encode()).rstrip(b"=")
    assert claims_of(f"x.{payload.decode()}.y") == {"role": "employee"}
    assert claims_of("not-a-token") == {} and claims_of(None) == {} and claims_of("a.%%%.b") == {}


def test_every_message_of_the_web_app_has_its_italian() -> None:
    italian = catalog("it")
    used = extracted()
    missing = {m: places[0] for m, places in used.items() if not italian.get(m)}
    assert not missing, f"run `python web/update_messages.py` and translate in {PO}: {missing}"
    # and the Italian keeps every %(placeholder)s of the English
    import re
    for msgid in used:
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(
            re.findall(r"%\(\w+\)s", italian[msgid])), msgid


def test_the_qr_is_an_svg_image_with_a_name() -> None:
    svg = str(views.qr_svg("ABCD-EFGH-JKMN-PQRS-T", "QR of ABCD"))
    assert svg.startswith('<svg role="img"') and "<title>QR of ABCD</title>" in svg
