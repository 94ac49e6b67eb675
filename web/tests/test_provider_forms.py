"""The provider's pages' own logic, without any server: the application and offering
forms as people fill them, the API's refusals as messages they can act on, and what
each refusal of a redemption means at the counter."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web.client import ApiError  # noqa: E402
from web.i18n import Lang  # noqa: E402
from web.pages.provider import (  # noqa: E402
    api_errors,
    application_from,
    offering_from,
    offering_values,
    parse_coordinate,
    parse_day,
    percent,
    start_of_today,
    verdict_of,
)
from wecare_common.contract import refusals as R  # noqa: E402

IT, EN = Lang("it"), Lang("en")
APPLICATION = {"name": "Asilo Nido Il Girasole", "vat_number": "IT 456 789 000 49",
               "categories": ["education", "pension", "wellbeing"], "address": "Via Po 12",
               "city": "Torino", "province": "to", "lat": "45,0686", "lon": "7.6934",
               "email": "nido@girasole.example", "password": "a long enough password",
               "iban": "it60 x054 2811 1010 0000 0123 456"}


def _form(data: dict) -> MultiDict:
    return MultiDict([(k, v) for k, vs in data.items()
                      for v in (vs if isinstance(vs, list) else [vs])])


def test_an_application_as_typed_becomes_the_api_s_body() -> None:
    body, errors = application_from(_form(APPLICATION), EN)
    assert not errors, errors.fields
    assert body == {"name": "Asilo Nido Il Girasole", "vat_number": "45678900049",
                    "categories": ["education", "wellbeing"],  # never a fund category
                    "address": "Via Po 12", "city": "Torino", "province": "TO",
                    "lat": 45.0686, "lon": 7.6934, "email": "nido@girasole.example",
                    "password": "a long enough password",
                    "iban": "IT60X0542811101000000123456",
                    "language": "en"}  # the page's: no language field in the form typed


def test_an_empty_application_says_what_is_missing_field_by_field() -> None:
    _, errors = application_from(_form({"password": "short"}), EN)
    assert set(errors.fields) == {"name", "vat_number", "categories", "address", "lat",
                                  "email", "password", "iban"}
    assert errors.first("lat") == "Enter where you are, or press “Use my position”."
    _, errors = application_from(_form({**APPLICATION, "vat_number": "1234",
                                        "lat": "north", "province": "Torino"}), IT)
    assert errors.first("vat_number") == (
        "Questa partita IVA non è valida: controlla le sue 11 cifre.")
    assert set(errors.fields) == {"vat_number", "lat", "province"}
    # the contract's own check: eleven digits whose check digit is wrong are refused too
    _, errors = application_from(_form({**APPLICATION, "vat_number": "12345678901"}), EN)
    assert list(errors.fields) == ["vat_number"]


@pytest.mark.parametrize("typed, limit, value", [
    ("45.0686", 90, 45.0686), ("45,0686", 90, 45.0686), (" -7.5 ", 180, -7.5),
    ("45.07°", 90, 45.07), ("91", 90, None), ("nan", 90, None), ("", 90, None),
    ("abc", 180, None),
])
def test_coordinates_as_typed(typed: str, limit: float, value: float | None) -> None:
    assert parse_coordinate(typed, limit) == value


def refused(status: int, error: Any) -> ApiError:
    """A service's refusal as the gateway answers it and the client reads it."""
    return ApiError(status, error.code, error.message, error.params, error.problems)


def test_the_api_s_refusals_become_messages_beside_their_fields_in_the_person_s_language(
        ) -> None:
    refusal = ApiError(400, "validation_error", "invalid input: iban, vat_number", problems={
        "vat_number": [{"code": "not_a_vat_number", "params": {}}],
        "iban": [{"code": "not_an_iban", "params": {}}],
        "categories": [{"code": "one_of", "params": {"choices": "education"}}]})
    en, it = api_errors(EN, refusal), api_errors(IT, refusal)
    assert en.first("vat_number") == "This partita IVA is not valid: check its 11 digits."
    assert it.first("vat_number") == ("Questa partita IVA non è valida: controlla le sue "
                                      "11 cifre.")
    assert it.first("iban").startswith("Questo IBAN non è valido")
    assert en.first("categories") == "Choose at least one category."
    taken = refused(409, R.EMAIL_TAKEN(field="email"))
    assert api_errors(EN, taken).first("email").startswith("This email address already")
    busy = api_errors(EN, ApiError(409, "conflict", "busy"))
    assert busy.message and "busy" not in busy.message


def test_an_offering_as_typed_euros_become_cents_and_dates_iso() -> None:
    form = _form({"title": " Retta mensile ", "description": "", "category": "education",
                  "price": "1.234,50", "delivery": "at_home", "valid_from": "2026-09-01",
                  "valid_until": "30/06/2027"})
    body, errors = offering_from(form, IT, ["education"], new=True)
    assert not errors, errors.fields
    assert body == {"title": "Retta mensile", "description": "", "category": "education",
                    "price_cents": 123450, "delivery": "at_home", "valid_from": "2026-09-01",
                    "valid_until": "2027-06-30"}
    change, errors = offering_from(form, IT, [], new=False)
    assert not errors and "category" not in change  # a category never changes


def test_an_offering_s_mistakes_are_named() -> None:
    form = _form({"title": "", "category": "fringe", "price": "0", "delivery": "by post",
                  "valid_from": "2027-01-02", "valid_until": "2027-01-01"})
    _, errors = offering_from(form, EN, ["education"], new=True)
    assert set(errors.fields) == {"title", "category", "price", "delivery", "valid_until"}
    _, errors = offering_from(_form({"title": "x", "price": "12", "valid_from": "tomorrow"}),
                              EN, [], new=False)
    assert list(errors.fields) == ["valid_from"]


def test_an_offering_shows_in_its_form_as_the_person_typed_it() -> None:
    values = offering_values({"title": "Retta", "category": "education", "price_cents": 45000,
                              "delivery": None, "valid_from": None, "valid_until": None}, IT)
    assert values["price"] == "450,00" and values["delivery"] == "on_site"
    assert offering_values(None, EN)["title"] == ""


@pytest.mark.parametrize("typed, expected", [
    ("", (None, True)), ("2026-12-31", (date(2026, 12, 31), True)),
    ("31/12/2026", (date(2026, 12, 31), True)), ("31.12.26", (None, False)),
])
def test_days_as_typed(typed: str, expected: tuple) -> None:
    assert parse_day(typed) == expected


@pytest.mark.parametrize("error, kind", [
    (refused(409, R.VOUCHER_ALREADY_REDEEMED(redeemed_at="2026-03-12T09:42:00+00:00",
                                             field="code")), "already"),
    (refused(409, R.VOUCHER_NOT_ACTIVE(status="cancelled", field="code")), "cancelled"),
    (refused(409, R.VOUCHER_EXPIRED(field="code")), "expired"),
    (refused(409, R.VOUCHER_NOT_ACTIVE(status="void", field="code")), "void"),
    (refused(403, R.VOUCHER_FOR_ANOTHER_PROVIDER(field="code")), "not_yours"),
    (refused(404, R.VOUCHER_UNKNOWN(field="code")), "unknown"),
    (refused(403, R.VOUCHER_SIGNATURE_INVALID()), "forged"),
    (refused(403, R.VOUCHER_KEY_EXPIRED(not_after="2027-01-01T00:00:00+00:00")), "old_qr"),
    (refused(429, R.RATE_LIMITED(retry_after=61)), "too_many"),
    (ApiError(403, "provider_not_in_circuit", "this provider is suspended: …",
              {"provider_status": "suspended"}), "suspended"),
])
def test_each_refusal_of_a_redemption_is_a_verdict(error: ApiError, kind: str) -> None:
    verdict = verdict_of(error)
    assert verdict is not None and verdict["kind"] == kind
    if kind == "already":
        assert verdict["when"] == "2026-03-12T09:42:00+00:00"
    if kind == "too_many":
        assert verdict["minutes"] == 2


def test_a_refusal_of_the_form_itself_is_no_verdict() -> None:
    assert verdict_of(refused(400, R.TOO_LONG(max=40, field="code"))) is None
    assert verdict_of(ApiError(403, "forbidden", "the employee role may not do this")) is None
    assert verdict_of(refused(422, R.IDEMPOTENCY_CONFLICT(field="Idempotency-Key"))) is None


def test_commission_and_the_provider_s_day() -> None:
    assert percent(IT, 300) == "3%" and percent(IT, 250) == "2,5%"
    assert percent(EN, 250) == "2.5%" and percent(EN, None) == ""
    # 00:30 in Rome on 1 July is 22:30 UTC the day before: the day is Rome's
    start = start_of_today(datetime(2026, 6, 30, 22, 30, tzinfo=UTC))
    assert start.isoformat() == "2026-07-01T00:00:00+02:00"
