"""The counter's answers as the redeem page renders them, in Italian and English:
in words and with an icon (never colour alone), announced to screen readers, and
the way on to the next voucher."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web.routing import Page  # noqa: E402

from web import views  # noqa: E402

VOUCHER = {"id": "v1", "code": "7ZQW-FRJX-W0H4-M6XQ-W", "title": "Retta mensile asilo nido",
           "amount_cents": 45000, "status": "redeemed",
           "redeemed_at": "2026-03-12T09:42:00+00:00"}
VERDICTS = {  # kind: (verdict, Italian words, English words, role)
    "redeemed": ({"kind": "redeemed"}, ["Buono riscosso", "450,00 €",
                                        "Retta mensile asilo nido"],
                 ["Voucher redeemed", "€450.00", "Retta mensile asilo nido"], "status"),
    "already": ({"kind": "already", "when": "2026-03-12T09:42:00+00:00"},
                ["Già riscosso", "12/03/2026 10:42"], ["Already redeemed", "12 Mar 2026, 10:42"],
                "alert"),
    "cancelled": ({"kind": "cancelled"}, ["Buono annullato"], ["Voucher cancelled"], "alert"),
    "expired": ({"kind": "expired"}, ["Buono scaduto"], ["Voucher expired"], "alert"),
    "void": ({"kind": "void"}, ["Non più valido"], ["Not valid any more"], "alert"),
    "not_yours": ({"kind": "not_yours"}, ["Non è un tuo buono"], ["Not your voucher"], "alert"),
    "forged": ({"kind": "forged"}, ["Non valido", "non è firmato da WeCare"],
               ["Not valid", "not signed by WeCare"], "alert"),
    "old_qr": ({"kind": "old_qr"}, ["Codice QR scaduto"], ["QR code expired"], "alert"),
    "suspended": ({"kind": "suspended"}, ["Riscossione sospesa", "Non erogare il servizio"],
                  ["Redeeming is suspended", "Do not give the service"], "alert"),
    "unknown": ({"kind": "unknown"}, ["Codice sconosciuto"], ["Unknown code"], "alert"),
    "too_many": ({"kind": "too_many", "minutes": 10}, ["Troppi codici sbagliati", "10 minuti"],
                 ["Too many wrong codes", "10 minutes"], "alert"),
}


def _page(language: str) -> Page:
    environ = EnvironBuilder(path="/provider/redeem", method="POST",
                             headers={"Accept-Language": language}).get_environ()
    return Page(Request(environ))


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("kind", list(VERDICTS))
@pytest.mark.parametrize("language", ["it", "en"])
def test_each_verdict_in_words_with_an_icon_announced(kind: str, language: str) -> None:
    verdict, italian, english, role = VERDICTS[kind]
    html = views.render("provider/redeem.html", _page(language), verdict=verdict,
                        voucher=VOUCHER if kind == "redeemed" else None,
                        code=VOUCHER["code"], provider={})
    block = html[html.index('id="verdict"'):]
    block = block[:block.index("</div>")]
    assert f'role="{role}"' in block and f'data-verdict="{kind}"' in block
    assert "#check" in block or "#cross" in block or "#alert" in block or (
        "#question" in block or "#clock" in block)  # an icon's shape, not colour alone
    text = _text(block)
    for words in (italian if language == "it" else english):
        assert words in text, (words, text)
    assert 'href="/provider/redeem"' in html  # on to the next voucher
    assert html.count("<h1") == 1
    # the camera is only for the scanning page, not for an answer
    assert "jsQR.js" not in html


def test_an_unknown_code_can_be_typed_again_with_what_was_typed() -> None:
    html = views.render("provider/redeem.html", _page("en"), verdict={"kind": "unknown"},
                        voucher=None, code="7ZQW-FRJX", provider={})
    assert 'name="code"' in html and 'value="7ZQW-FRJX"' in html
    assert 'name="idempotency_key"' in html


def test_the_scanning_page_loads_the_scanner_and_keeps_a_typed_form() -> None:
    html = views.render("provider/redeem.html", _page("it"), verdict=None, voucher=None,
                        code="", provider={"status": "approved"})
    assert "vendor/jsqr/jsQR.js" in html and "js/scanner.js" in html
    assert re.search(r'<form method="post" action="/provider/redeem"', html)
    assert 'name="idempotency_key" value="' in html and "<script>" not in html
    assert "Scansiona il codice QR" in html and "Oppure scrivi il codice" in html
