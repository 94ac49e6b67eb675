"""Employees from a CSV file (UTF-8, Italian or English headers, `;` or `,`):
all rows or none; every bad row is returned with its reasons."""

from __future__ import annotations

import csv
import io
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session
from wecare_common.contract import refusals

from benefits import domain
from benefits.schemas import EmployeeRequest

MAX_ROWS = 100_000
HEADERS = {
    "email": "email", "e-mail": "email", "posta elettronica": "email",
    "first_name": "first_name", "nome": "first_name",
    "last_name": "last_name", "cognome": "last_name",
    "fiscal_code": "fiscal_code", "codice_fiscale": "fiscal_code",
    "codice fiscale": "fiscal_code", "cf": "fiscal_code",
    "hire_date": "hire_date", "data_assunzione": "hire_date", "data assunzione": "hire_date",
    "group": "group", "gruppo": "group", "categoria": "group",
    "income_band": "income_band", "fascia_reddito": "income_band",
    "fascia reddito": "income_band",
    "dependent_children": "dependent_children", "figli_a_carico": "dependent_children",
    "figli a carico": "dependent_children",
    "language": "language", "lingua": "language",
}


def parse(text: str) -> list[dict[str, Any]]:
    """Rows keyed by our field names; raises InvalidInput for an unreadable file."""
    text = text.lstrip("\ufeff")  # Excel's UTF-8 byte order mark
    if not text.strip():
        raise refusals.CSV_EMPTY(field="_body")
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=";,")
    except csv.Error:
        dialect = csv.excel
    try:
        return _rows(csv.DictReader(io.StringIO(text, newline=""), dialect=dialect))
    except csv.Error as exc:  # e.g. a line break inside an unquoted field
        raise refusals.CSV_UNREADABLE(field="_body") from exc


def _rows(reader: csv.DictReader) -> list[dict[str, Any]]:
    unknown = [h for h in reader.fieldnames or [] if h.strip().lower() not in HEADERS]
    if unknown:
        raise refusals.CSV_UNKNOWN_COLUMNS(columns=unknown, field="_header")
    rows = []
    for line in reader:
        row = {HEADERS[k.strip().lower()]: (v or "").strip() for k, v in line.items() if k}
        if "dependent_children" in row:
            row["dependent_children"] = [c for c in row["dependent_children"].replace(
                ",", " ").replace("|", " ").split() if c]
        rows.append({k: v for k, v in row.items() if v not in ("", None)})
        if len(rows) > MAX_ROWS:
            raise refusals.CSV_TOO_MANY_ROWS(max_rows=MAX_ROWS, field="_body")
    if not rows:
        raise refusals.CSV_NO_ROWS(field="_body")
    return rows


def import_employees(session: Session, company_id: str, text: str) -> dict[str, Any]:
    valid = validate(session, company_id, text)
    views = domain.enroll(session, company_id, valid)
    return {"imported": len(views), "employees": views}


def validate(session: Session, company_id: str, text: str) -> list[dict[str, Any]]:
    """Every row checked; InvalidInput listing every bad row, or the rows to enroll."""
    valid, by_row, _ = check(session, company_id, text)
    if by_row:
        raise refusals.CSV_ROWS_INVALID(count=len(by_row), fields={"rows": by_row})
    return [{k: v for k, v in row.items() if k != "_row"} for row in valid]


def preview(session: Session, company_id: str, text: str) -> dict[str, Any]:
    """A dry run: the rows that would import (with their line numbers) and every
    bad row with its reasons, writing nothing. An unreadable file still raises."""
    valid, by_row, total = check(session, company_id, text)
    rows = [{**{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                for k, v in row.items() if k != "_row"}, "row": row["_row"]}
            for row in valid if str(row["_row"]) not in by_row]
    return {"valid": not by_row, "rows": total, "importable": len(rows),
            "employees": rows, "errors": by_row,
            "problems": {row: refusals.problems_of(fields) for row, fields in by_row.items()}}


def check(session: Session, company_id: str, text: str
          ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], int]:
    """(the rows that load, with `_row`; line number → field → reasons of the bad
    ones; how many rows the file has)."""
    domain.get_company(session, company_id)
    raw = parse(text)
    schema = EmployeeRequest()
    valid: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    seen_codes: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for number, row in enumerate(raw, start=2):  # line 1 is the header
        try:
            data = schema.load(row)
        except ValidationError as exc:
            problems.append({"row": number, "errors": exc.messages})
            continue
        errors = {}
        if data["fiscal_code"] in seen_codes:
            errors["fiscal_code"] = [refusals.REPEATS_ROW.said(row=seen_codes[data["fiscal_code"]])]
        if data["email"] in seen_emails:
            errors["email"] = [refusals.REPEATS_ROW.said(row=seen_emails[data["email"]])]
        seen_codes.setdefault(data["fiscal_code"], number)
        seen_emails.setdefault(data["email"], number)
        if errors:
            problems.append({"row": number, "errors": errors})
        valid.append({**data, "_row": number})
    codes, emails = domain.already_enrolled(session, company_id,
                                            [v["fiscal_code"] for v in valid],
                                            [v["email"] for v in valid])
    for v in valid:
        errors = {}
        if v["fiscal_code"] in codes:
            errors["fiscal_code"] = [refusals.ALREADY_ENROLLED.said()]
        if v["email"] in emails:
            errors["email"] = [refusals.ALREADY_ENROLLED.said()]
        if errors:
            problems.append({"row": v["_row"], "errors": errors})
    by_row: dict[str, dict[str, Any]] = {}
    for p in sorted(problems, key=lambda p: p["row"]):
        by_row.setdefault(str(p["row"]), {}).update(p["errors"])
    return valid, by_row, len(raw)
