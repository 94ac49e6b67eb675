"""The HR console's own logic, without any server: the charts drawn on the server,
the CSV carried from the preview to the import, the API's messages in the
person's language, the line on what the law allows in each category."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web.client import ApiError  # noqa: E402
from web.i18n import Lang  # noqa: E402
from web.pages.hr import HR_TEXTS, bar_chart, is_date, refused  # noqa: E402
from web.pages.hr_people import _table_link, pack_csv, unpack_csv  # noqa: E402
from web.pages.hr_plans import _category_hint  # noqa: E402
from wecare_common.contract import refusals as R  # noqa: E402

from web import refusals  # noqa: E402

IT, EN = Lang("it"), Lang("en")
RULES_2026 = {"year": 2026, "listed": True,
              "fringe": {"limit_cents": 100_000, "limit_with_children_cents": 200_000},
              "categories": []}


def test_a_bar_chart_is_an_svg_image_named_and_labelled_with_its_figures() -> None:
    svg = str(bar_chart(IT, "cat", "Spesa per categoria", [
        ("Istruzione <e> infanzia", 12_000), ("Sport", 4_550)]))
    assert svg.startswith('<svg class="chart" role="img" aria-labelledby="cat-t"')
    assert '<title id="cat-t">Spesa per categoria</title>' in svg
    assert "Istruzione &lt;e&gt; infanzia" in svg  # escaped, never markup
    assert "120,00\xa0€" in svg and "45,50\xa0€" in svg  # every bar says its figure
    assert svg.count('class="chart__bar"') == 2 and "style=" not in svg  # CSP: no inline style


def test_a_month_chart_has_twelve_bars_and_labels_only_what_was_spent() -> None:
    months = [(m, 0) for m in "gen feb mar apr mag giu lug ago set ott nov dic".split()]
    months[10] = ("nov", 52_000)
    svg = str(bar_chart(EN, "month", "By month", months, vertical=True))
    assert svg.count('class="chart__bar"') == 12 and svg.count('class="chart__label"') == 12
    assert svg.count('class="chart__value"') == 1 and "€520" in svg


def test_the_checked_csv_travels_in_the_form_and_comes_back_the_same() -> None:
    text = "codice_fiscale;nome;cognome;email\nRSSMRA85T10A562S;Mario;Rossi;m@example.it\n"
    packed = pack_csv(text * 200)
    assert len(packed) < len(text * 200) / 4  # gzipped: a big file still fits a form field
    assert unpack_csv(packed) == text * 200
    assert unpack_csv("not base64!") is None and unpack_csv("aGVsbG8=") is None


def test_the_import_s_problems_in_italian_by_their_codes() -> None:
    said = [refusals.text(IT, code, params, HR_TEXTS) for code, params in [
        ("repeats_row", {"row": 2}), ("already_enrolled", {}), ("not_a_fiscal_code", {}),
        ("csv_unknown_columns", {"columns": ["colore", "taglia"]})]]
    assert said[:2] == ["uguale alla riga 2", "già iscritto"]
    assert said[2].startswith("Inserisci un codice fiscale valido")
    assert said[3] == "Colonne che questa importazione non conosce: colore, taglia."
    assert refusals.text(EN, "repeats_row", {"row": 7}, HR_TEXTS) == "the same as line 7"


def test_a_form_s_errors_beside_each_field_and_a_rule_s_refusal_as_its_message() -> None:
    errors = refused(IT, ApiError(400, "validation_error", "invalid", problems={
        "amount_cents": [{"code": "required", "params": {}}],
        "dependent_children": [{"code": "not_a_fiscal_code", "params": {}}]}),
        {"amount_cents": "amount"})
    assert errors.first("amount") == "Compila questo campo."
    assert errors.first("dependent_children").startswith("Inserisci un codice fiscale valido")
    assert errors.message is None
    short = R.INSUFFICIENT_FUNDS(field="amount_cents")
    rule = refused(EN, ApiError(422, short.code, short.message, short.params,
                                short.problems))
    assert rule.message == "There is not enough credit for this." and rule.fields == {}


def test_each_category_says_what_the_law_allows() -> None:
    fringe = _category_hint(IT, {"category": "fringe", "cash_reimbursable": True,
                                 "yearly_limit_cents": 100_000,
                                 "legal_basis": "TUIR art. 51 c.3"}, RULES_2026)
    assert fringe == ("Esente fino a 1.000,00\xa0€ all'anno per dipendente (2.000,00\xa0€ con "
                      "figli a carico); un centesimo oltre e l'intero importo dell'anno è "
                      "tassato; voucher o rimborso con ricevuta. TUIR art. 51 c.3.")
    wellbeing = _category_hint(EN, {"category": "wellbeing", "cash_reimbursable": False,
                                    "yearly_limit_cents": None,
                                    "legal_basis": "TUIR art. 51 c.2 f"}, RULES_2026)
    assert wellbeing == ("Tax-free with no yearly limit; voucher or payment to the fund, "
                         "never in cash. TUIR art. 51 c.2 f.")
    pension = _category_hint(EN, {"category": "pension", "cash_reimbursable": False,
                                  "yearly_limit_cents": 530_000,
                                  "legal_basis": "TUIR art. 51 c.2 h"}, RULES_2026)
    assert pension.startswith("Tax-free up to €5,300.00 a year per employee;")


def test_the_table_s_links_keep_the_search_and_change_one_thing() -> None:
    link = _table_link({"q": "rossi", "sort": "name", "order": "asc", "status": None,
                        "page": 3})
    assert link() == "/hr/employees?q=rossi&sort=name&order=asc&page=3"
    assert link(sort="email", page=1) == "/hr/employees?q=rossi&sort=email&order=asc&page=1"


def test_dates_as_the_date_field_sends_them() -> None:
    assert is_date("2026-12-31") and not is_date("31/12/2026") and not is_date("")
