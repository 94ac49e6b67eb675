"""The web app says every refusal of the API by its code (issue 24): each code
declared in wecare_common.contract.refusals has its English and Italian text, the
text's placeholders are the code's params, and amounts, dates and categories are
written the person's way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

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


# -- no page reads the API's English -------------------------------------------------------
WEB = Path(__file__).resolve().parents[1] / "web"


def _english_of_the_api() -> list[str]:
    """Every message the API may send, its fixed parts (around the params) lower-cased,
    with sample params too: what a page must never look for."""
    texts = []
    for declared in contract.CODES.values():
        sample = {n: 3 if k.name in ("count", "number", "year", "cents") else "x"
                  for n, k in declared.params.items()}
        texts.append(declared.english(sample).lower())
        texts += [part.strip().lower() for part in re.split(r"{\w+}", declared.message)
                  if len(part.strip()) >= 4]
    return texts


# the members of the API's answers that hold English for people reading logs
ENGLISH_MEMBERS = ("message", "fields", "errors")


def message_readers(root: Path = WEB) -> list[str]:
    """Where web/ decides by the API's English: `file:line what`. A page reads the
    English (`.english` outside client.py; an answer's "message", "fields" or an
    import's "errors"), compares a text with part of an API message (`"not covered"
    in text`), or matches a pattern that an API message matches."""
    english = _english_of_the_api()
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        where = f"{path.relative_to(root.parent)}"
        client = path.name == "client.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "english" and not client:
                found.append(f"{where}:{node.lineno} reads .english")
            if (isinstance(node, ast.Attribute) and node.attr in ("message", "fields")
                    and getattr(node.value, "id", "") in ("exc", "error", "refusal")):
                found.append(f"{where}:{node.lineno} reads {node.value.id}.{node.attr}")
            key = (node.slice if isinstance(node, ast.Subscript) else node.args[0]
                   if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "get"
                   and node.args else None)
            if (isinstance(key, ast.Constant) and key.value in ENGLISH_MEMBERS
                    and not client):
                found.append(f"{where}:{node.lineno} reads an answer's {key.value!r}")
            if isinstance(node, ast.Compare) and any(
                    isinstance(op, ast.In | ast.NotIn | ast.Eq | ast.NotEq) for op in node.ops):
                for side in [node.left, *node.comparators]:
                    if (isinstance(side, ast.Constant) and isinstance(side.value, str)
                            and " " in side.value.strip()
                            and any(side.value.lower() in text for text in english)):
                        found.append(f"{where}:{node.lineno} compares {side.value!r}")
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") in (
                    "compile", "match", "search", "fullmatch", "findall")
                    and getattr(getattr(node.func, "value", None), "id", "") == "re"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                pattern = re.compile(node.args[0].value, re.IGNORECASE)
                hits = [t for t in english if pattern.search(t)]
                if hits:
                    found.append(f"{where}:{node.lineno} matches {hits[0]!r}")
    for path in sorted(root.rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.(message|fields|errors)\b", line) and "errors." not in line:
                found.append(f"{path.relative_to(root.parent)}:{number} reads an answer's "
                             "English")
    return found


def test_no_page_decides_by_the_api_s_english() -> None:
    readers = message_readers()
    assert not readers, "decide by code and params (web/web/refusals.py):\n" + "\n".join(
        readers)


def test_the_api_error_carries_no_english_a_page_could_read() -> None:
    error = ApiError(422, "not_enough_credit", "insufficient credit: …",
                     {"needed_cents": 2, "available_cents": 1})
    assert not hasattr(error, "message") and not hasattr(error, "fields")
    assert "insufficient credit" in str(error)  # for the log


def test_the_scanner_finds_what_the_pages_did_before() -> None:
    """The old ways (web/web/pages/employee.py and views.py before issue 24), against
    today's messages."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "web"
        old.mkdir()
        (old / "page.py").write_text(
            "import re\n"
            "INSUFFICIENT = re.compile(r'(?P<available>[\\d,.]+ €) available')\n"
            "def f(exc, text):\n"
            "    if 'none of your valid plans' in text:\n"
            "        return exc.english or exc.body['message']\n")
        assert len(message_readers(old)) == 4, message_readers(old)


if __name__ == "__main__":  # the figure: lines of web/ that read API message text
    print(len(message_readers()), "lines of web/ decide by the API's English")


def test_a_form_checks_early_by_the_contract_s_own_declaration() -> None:
    from wecare_common.contract import benefits

    assert refusals.refused_by_contract(benefits.GrantRequest, "choice_record", "ab")
    assert not refusals.refused_by_contract(benefits.GrantRequest, "choice_record", "abc")
    assert refusals.refused_by_contract(benefits.BonusOfferRequest, "agreement", "x" * 301)
    assert not refusals.refused_by_contract(benefits.BonusOfferRequest, "agreement", "CCNL")
