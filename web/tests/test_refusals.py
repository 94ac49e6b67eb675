"""The web app says every refusal of the API by its code (issue 24): each code
declared in wecare_common.contract.refusals has its English and Italian text, the
text's placeholders are the code's params, and amounts, dates and categories are
written the person's way."""

from __future__ import annotations

import re

import pytest
from web.client import ApiError
from web.i18n import Lang, catalog
from wecare_common.contract import refusals as contract

from web import refusals

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("code", sorted(contract.CODES))
def test_every_code_has_its_english_and_italian_text(code: str) -> None:
    english = refusals.TEXTS.get(code)
    assert english, f"web/web/refusals.py: TEXTS has no text for {code}"
    italian = catalog("it").get(english)
    assert italian, f"run `python web/update_messages.py` and translate {english!r}"
    declared = set(contract.CODES[code].params)
    assert set(PLACEHOLDER.findall(english)) <= declared, code
    assert sorted(PLACEHOLDER.findall(italian)) == sorted(PLACEHOLDER.findall(english)), code


def test_no_text_for_a_code_nobody_declared() -> None:
    assert set(refusals.TEXTS) <= set(contract.CODES)


def test_a_fields_problems_are_said_beside_it_in_the_persons_language() -> None:
    exc = ApiError(400, "validation_error", "invalid input: name", problems={
        "name": [{"code": "length_between", "params": {"min": 1, "max": 100}}],
        "lat": [{"code": "at_least", "params": {"min": 0.5}}]})
    it = refusals.errors(Lang("it"), exc, aliases={"lat": "where"})
    assert it.first("name") == "Tra 1 e 100 caratteri." and it.message is None
    assert it.first("where") == "Almeno 0,5."
    en = refusals.errors(Lang("en"), exc)
    assert en.first("name") == "Between 1 and 100 characters." and en.first("lat") == (
        "At least 0.5.")


def test_an_unknown_code_reads_as_a_generic_failure_never_as_the_message() -> None:
    exc = ApiError(422, "made_up", "the English that must not show")
    assert refusals.say(Lang("en"), exc) == "Please try again in a moment."
    assert "English" not in refusals.errors(Lang("it"), exc).message
