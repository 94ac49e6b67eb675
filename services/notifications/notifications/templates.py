"""Messages rendered from Jinja2 templates, Italian by default, with euros and
dates formatted for the reader's locale by Babel."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from wecare_common.clock import ROME

LANGUAGES = {"it": "it_IT", "en": "en_GB"}
DEFAULT_LANGUAGE = "it"
MOMENT_PATTERNS = {"it_IT": "d MMMM y 'alle' HH:mm", "en_GB": "d MMMM y 'at' HH:mm"}


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value)
    return value


# Babel's formatting is slow next to everything else in a message, and the same
# amounts and dates recur across an event's thousands of recipients.
@lru_cache(maxsize=4096)
def money(cents: int, locale: str) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale)


@lru_cache(maxsize=4096)
def day(value: date | datetime | str, locale: str) -> str:
    return format_date(_as_date(value), format="long", locale=locale)


@lru_cache(maxsize=4096)
def moment(value: datetime | str, locale: str) -> str:
    """A moment (an acceptance at a counter) as its day and time of day in Italy, where
    the providers are, whatever the reader's language."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(at, MOMENT_PATTERNS[locale], tzinfo=ROME, locale=locale)


def _environment(locale: str, autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=autoescape, undefined=StrictUndefined,
    )
    env.filters["money"] = lambda cents: money(cents, locale)
    env.filters["day"] = lambda d: day(d, locale)
    env.filters["moment"] = lambda m: moment(m, locale)
    return env


# Per language, one environment for the plain parts and one that escapes HTML.
_ENVS = {lang: (_environment(loc, False), _environment(loc, True))
         for lang, loc in LANGUAGES.items()}


def render(kind: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, plain text, html) for a message kind in a language."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    plain, escaped = _ENVS[language]
    name = f"{language}/{kind}.j2"

    def block(env: Environment, which: str) -> str:
        template = env.get_template(name)
        return "".join(template.blocks[which](template.new_context(context))).strip()

    return block(plain, "subject"), block(plain, "text") + "\n", block(escaped, "html")
