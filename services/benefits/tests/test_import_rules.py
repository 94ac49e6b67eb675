"""Employees from a CSV file in memory (docs/domain.md#employees): Italian or English
headers, `;` or `,`, Excel's byte order mark; every bad row returned with its line
and reasons, and then nothing imported (all rows or none)."""

from __future__ import annotations

import pytest
from benefits import imports
from benefits.models import Employee
from sqlalchemy import func, select
from wecare_common.contract import events
from wecare_common.errors import InvalidInput, NotFound

WRONG_CHECK = "RSSMRA85T10A562X"


def enrolled(hr) -> int:
    return hr.session.scalar(select(func.count()).select_from(Employee)) or 0


def csv(*rows: str, header: str = "codice_fiscale;nome;cognome;email;gruppo") -> str:
    return "\n".join([header, *rows]) + "\n"


def test_italian_headers_semicolons_and_a_byte_order_mark(hr) -> None:
    code, child = hr.fake.fiscal_code(), hr.fake.fiscal_code()
    text = "\ufeff" + csv(
        f"{code.lower()};Anna;Blu;anna@example.test;uffici;{child}|{hr.fake.fiscal_code()};"
        "up_to_80k;2024-03-01",
        header="Codice Fiscale;Nome;Cognome;E-mail;Gruppo;Figli a carico;Fascia reddito;"
               "Data assunzione")
    [row] = imports.parse(text)
    assert row["fiscal_code"] == code.lower() and len(row["dependent_children"]) == 2
    result = hr.request(lambda: imports.import_employees(hr.session, hr.company_id, text))
    [anna] = result["employees"]
    assert (anna["fiscal_code"], anna["group"], anna["income_band"], anna["hire_date"]) == (
        code, "uffici", "up_to_80k", "2024-03-01")
    assert anna["dependent_children"][0] == child
    assert len(hr.events(events.EMPLOYEE_ENROLLED)) == 1


def test_english_headers_and_commas(hr) -> None:
    text = csv(f"{hr.fake.fiscal_code()},Luca,Verdi,luca@example.test,en",
               header="fiscal_code,first_name,last_name,email,language")
    result = hr.request(lambda: imports.import_employees(hr.session, hr.company_id, text))
    assert result["imported"] == 1 and result["employees"][0]["language"] == "en"


def test_every_bad_row_is_named_with_its_reasons_and_nothing_is_imported(hr) -> None:
    taken = hr.employee()
    good = [hr.fake.fiscal_code() for _ in range(2)]
    text = csv(f"{good[0]};Anna;Blu;anna@example.test;uffici",  # line 2: fine
               f"{WRONG_CHECK};Bad;Code;bad@example.test;",  # 3: check character
               f"{good[1]};Luca;Verdi;not-an-email;",  # 4: email
               f"{taken['fiscal_code']};Eva;Neri;eva@example.test;",  # 5: enrolled already
               f"{good[0]};Anna;Bis;{taken['email']};",  # 6: repeats 2, email enrolled
               f"{hr.fake.fiscal_code()};;Senza;nome@example.test;")  # 7: no first name
    with pytest.raises(InvalidInput) as refused:
        hr.request(lambda: imports.import_employees(hr.session, hr.company_id, text))
    rows = refused.value.fields["rows"]
    assert set(rows) == {"3", "4", "5", "6", "7"}
    assert "check character" in str(rows["3"]["fiscal_code"])
    assert set(rows["4"]) == {"email"}
    assert rows["5"] == {"fiscal_code": ["already enrolled"]}
    assert rows["6"] == {"fiscal_code": ["repeats row 2"], "email": ["already enrolled"]}
    assert set(rows["7"]) == {"first_name"}
    assert "nothing was imported" in str(refused.value)
    assert enrolled(hr) == 1 and len(hr.events(events.EMPLOYEE_ENROLLED)) == 1


def test_an_email_repeated_in_the_file_is_named_at_its_second_row(hr) -> None:
    text = csv(f"{hr.fake.fiscal_code()};Anna;Blu;same@example.test;",
               f"{hr.fake.fiscal_code()};Luca;Verdi;same@example.test;")
    with pytest.raises(InvalidInput) as refused:
        imports.validate(hr.session, hr.company_id, text)
    assert refused.value.fields["rows"] == {"3": {"email": ["repeats row 2"]}}


def test_the_dry_run_lists_what_would_import_and_writes_nothing(hr) -> None:
    good = hr.fake.fiscal_code()
    text = csv(f"{good};Anna;Blu;anna@example.test;uffici",
               f"{WRONG_CHECK};Bad;Code;bad@example.test;")
    seen = imports.preview(hr.session, hr.company_id, text)
    assert (seen["valid"], seen["rows"], seen["importable"]) == (False, 2, 1)
    assert [(e["row"], e["fiscal_code"]) for e in seen["employees"]] == [(2, good)]
    assert set(seen["errors"]) == {"3"}
    assert enrolled(hr) == 0 and hr.events(events.EMPLOYEE_ENROLLED) == []


@pytest.mark.parametrize(("text", "field", "says"), [
    ("", "_body", "empty"),
    ("\ufeff  \n", "_body", "empty"),
    ("codice_fiscale;nome;cognome;email\n", "_body", "no rows"),
    ("nome;colore\nAnna;blu\n", "_header", "unknown column"),
])
def test_an_unreadable_file_is_refused_saying_why(hr, text: str, field: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        imports.preview(hr.session, hr.company_id, text)
    assert field in refused.value.fields and says in str(refused.value)


def test_too_many_rows_are_refused(hr, monkeypatch) -> None:
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    text = csv(*(f"{hr.fake.fiscal_code()};A;B;a{n}@example.test;" for n in range(3)))
    with pytest.raises(InvalidInput) as refused:
        imports.parse(text)
    assert refused.value.code == "csv_too_many_rows" and refused.value.params == {"max_rows": 2}


def test_a_file_for_an_unknown_company_is_not_found(hr) -> None:
    with pytest.raises(NotFound) as refused:
        imports.preview(hr.session, "no-such-company",
                        csv(f"{hr.fake.fiscal_code()};A;B;a@example.test;"))
    assert set(refused.value.fields) == {"company_id"}
