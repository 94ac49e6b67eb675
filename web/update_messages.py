"""Extract the web app's messages and merge them into translations/it.po:
`python web/update_messages.py` (new messages come in untranslated; a test
fails until each has its Italian). With `--add FILE.py` a dict T of
translations is merged in as well."""

from __future__ import annotations

import runpy
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
PO = HERE / "web" / "translations" / "it.po"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                                    "lstrip_blocks": "true"}}
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}


def extracted() -> dict[str, list[tuple[str, int]]]:
    """Every message the web app asks to translate → where it is used."""
    found: dict[str, list[tuple[str, int]]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            HERE / "web", METHODS, options_map=OPTIONS, keywords=KEYWORDS):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            if msgid:
                found.setdefault(msgid, []).append((filename, lineno))
    return found


def main(extra: dict[str, str]) -> None:
    old: dict[str, str] = {}
    if PO.exists():
        with PO.open("rb") as f:
            old = {m.id: m.string for m in read_po(f) if m.id and m.string}
    # a fixed date: a run that adds nothing changes nothing (no conflicts between branches)
    catalog = Catalog(locale="it", project="WeCare", fuzzy=False,
                      creation_date=datetime(2026, 11, 25, 21, 6, tzinfo=UTC))
    for msgid, places in sorted(extracted().items()):
        catalog.add(msgid, extra.get(msgid) or old.get(msgid, ""), locations=places)
    with PO.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, sort_output=False,
                 include_lineno=False)  # a line moved elsewhere changes no entry
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{PO}: {len(catalog)} messages, {len(missing)} without Italian")
    for msgid in missing:
        print("  missing:", msgid)


if __name__ == "__main__":
    extra_file = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--add" else None
    main(runpy.run_path(extra_file)["T"] if extra_file else {})
