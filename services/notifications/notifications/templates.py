"""Messages rendered from Jinja2 templates, Italian by default, with euros and
dates formatted for the reader's locale by Babel."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined

LANGUAGES = {"it": "it_IT", "en": "en_GB"}
DEFAULT_LANGUAGE = "it"



def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value)
    return value


def money(cents: int, locale: str) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale)


def _environment(locale: str, autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=autoescape, undefined=StrictUndefined,
    )
    env.filters["money"] = lambda cents: money(cents, locale)
    env.filters["day"] = lambda d: format_date(_as_date(d), format="long", locale=locale)
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
