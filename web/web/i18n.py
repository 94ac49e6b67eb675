"""Languages: Italian by default, English on request (cookie, else the
browser's Accept-Language); money and dates the way each language writes
them, from Babel. Messages are written in English in the templates and code
and translated from `translations/it.po` (read once at start)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from wecare_common import languages

LANGUAGES = languages.LANGUAGES
DEFAULT = languages.DEFAULT
# Babel locales: Italian as written in Italy; English with the euro sign first.
BABEL_LOCALE = {"it": "it_IT", "en": "en_IE"}
TRANSLATIONS = Path(__file__).parent / "translations"
TIMEZONE = "Europe/Rome"


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid → translated text; English needs none (the source language)."""
    path = TRANSLATIONS / f"{language}.po"
    if language == "en" or not path.exists():
        return {}
    with path.open("rb") as f:
        po = read_po(f, locale=language)
    return {m.id: m.string for m in po if m.id and m.string and not m.fuzzy
            and isinstance(m.id, str) and isinstance(m.string, str)}


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The person's choice first, then the browser's, then Italian."""
    return languages.chosen(cookie if cookie in LANGUAGES else None, accept_language)


@dataclass(frozen=True)
class Lang:
    """What a page needs to speak one language."""

    code: str

    def gettext(self, message: str, **values: object) -> str:
        text = catalog(self.code).get(message, message)
        return text % values if values else text

    def money(self, cents: int | None) -> str:
        if cents is None:
            return "—"
        return format_currency(Decimal(cents) / 100, "EUR", locale=BABEL_LOCALE[self.code])

    def euros(self, cents: int | None) -> str:
        """About so many euros: to the whole euro, half up (an estimate's figure)."""
        if cents is None:
            return "—"
        whole = (2 * cents + 100) // 200 if cents >= 0 else -((-2 * cents + 100) // 200)
        return format_currency(whole, "EUR", locale=BABEL_LOCALE[self.code],
                               format="#,##0\u00a0¤" if self.code == "it" else "¤#,##0",
                               currency_digits=False)

    def percent(self, bps: int | None) -> str:
        """Basis points as a percentage, the person's way (919 → 9,19%)."""
        if bps is None:
            return "—"
        return format_decimal(Decimal(bps) / 100, format="0.##",
                              locale=BABEL_LOCALE[self.code]) + "%"

    def amount(self, cents: int | None) -> str:
        """Euros without the sign, as typed in a form field ("1234,56")."""
        if cents is None:
            return ""
        return format_decimal(Decimal(cents) / 100, format="0.00",
                              locale=BABEL_LOCALE[self.code])

    def date(self, value: str | date | datetime | None) -> str:
        day = _as_date(value)
        if day is None:
            return ""
        pattern = "dd/MM/yyyy" if self.code == "it" else "d MMM yyyy"
        return format_date(day, pattern, locale=BABEL_LOCALE[self.code])

    def datetime(self, value: str | datetime | None) -> str:
        moment = _as_datetime(value)
        if moment is None:
            return ""
        pattern = "dd/MM/yyyy HH:mm" if self.code == "it" else "d MMM yyyy, HH:mm"
        return format_datetime(moment, pattern, tzinfo=get_timezone(TIMEZONE),
                               locale=BABEL_LOCALE[self.code])

    def km(self, value: float | None) -> str:
        if value is None:
            return ""
        return format_decimal(value, format="0.0", locale=BABEL_LOCALE[self.code]) + " km"

    @property
    def babel(self) -> Locale:
        return Locale.parse(BABEL_LOCALE[self.code])


def parse_amount(text: str) -> int | None:
    """Euros as a person types them ("12,50", "1.234,56", "12.5", "€ 40") → cents.
    None when it is not an amount."""
    cleaned = text.replace("€", "").replace(" ", "").replace("\u00a0", "").strip()
    if not cleaned:
        return None
    if "," in cleaned:  # Italian: dots group thousands, the comma marks decimals
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif cleaned.count(".") > 1 or (cleaned.count(".") == 1 and len(cleaned.split(".")[1]) == 3):
        cleaned = cleaned.replace(".", "")  # "1.234" is a thousand in Italian
    try:
        value = Decimal(cleaned)
    except ArithmeticError:
        return None
    exponent = value.as_tuple().exponent  # a letter for NaN and infinity
    if not isinstance(exponent, int) or value < 0 or exponent < -2:
        return None
    return int(value * 100)


def _as_datetime(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _as_date(value: str | date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    moment = _as_datetime(value)
    return moment.date() if moment else None
