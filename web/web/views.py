"""Rendering: one Jinja2 environment, the helpers every template shares, and
the translation of the API's messages into the person's language."""

from __future__ import annotations

import hashlib
import re
import uuid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from web import i18n

if TYPE_CHECKING:
    from web.routing import Page

HERE = Path(__file__).parent
STATIC = HERE / "static"



def N_(message: str) -> str:
    """Marks a message for translation where it is translated later (by its key)."""
    return message


CATEGORY_NAMES = {
    "education": N_("Education and childcare"),
    "family_care": N_("Care of family members"),
    "wellbeing": N_("Sport, culture and wellbeing"),
    "transport": N_("Public transport"),
    "health_fund": N_("Health fund"),
    "pension": N_("Supplementary pension"),
    "fringe": N_("Shopping and bills (fringe benefit)"),
}
# The consoles' side menu: (address, label) per role; each room adds its pages here.
DESK_MENUS: dict[str, list[tuple[str, str]]] = {
    "hr": [("/hr", N_("Dashboard")), ("/hr/employees", N_("Employees")),
           ("/hr/funding", N_("Funding")), ("/hr/plans", N_("Plans")),
           ("/hr/grants", N_("Grants")), ("/hr/bonus-offers", N_("Bonus offers")),
           ("/hr/reimbursements", N_("Reimbursements")),
           ("/hr/report", N_("Payroll report")), ("/hr/estimates", N_("Estimates")),
           ("/hr/colleagues", N_("HR colleagues"))],
    "admin": [("/admin", N_("Overview")), ("/admin/providers", N_("Providers")),
              ("/admin/transfers", N_("Bank transfers")),
              ("/admin/settlements", N_("Settlements")), ("/admin/accounts", N_("Accounts")),
              ("/admin/health", N_("Health"))],
}
ROLE_NAMES = {"admin": N_("Operator"), "hr": N_("HR manager"), "employee": N_("Employee"),
              "provider": N_("Provider")}
VOUCHER_STATES = {"issued": N_("Active"), "redeemed": N_("Redeemed"),
                  "cancelled": N_("Cancelled"), "expired": N_("Expired")}

# The API's messages (English), with their variable parts, as the templates of
# their translation: marshmallow's own and WeCare's.
API_MESSAGE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
     N_("Between %(min)s and %(max)s characters.")),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"),
     N_("At least %(min)s characters.")),
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"),
     N_("At most %(max)s characters.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>[\d.]+)\.$"),
     N_("At least %(min)s.")),
    (re.compile(r"^Must be less than or equal to (?P<max>[\d.]+)\.$"),
     N_("At most %(max)s.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>[\d.]+) and less than or equal "
                r"to (?P<max>[\d.]+)\.$"), N_("Between %(min)s and %(max)s.")),
    (re.compile(r"^Must be one of: .*\.$"), N_("Choose one of the options.")),
]


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html", "svg", "xml"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      extensions=["jinja2.ext.i18n"])
    env.globals.update(static=static_url, category_name=category_name,
                       CATEGORY_NAMES=CATEGORY_NAMES, VOUCHER_STATES=VOUCHER_STATES,
                       ROLE_NAMES=ROLE_NAMES,
                       new_key=lambda: uuid.uuid4().hex,
                       desk_menu=lambda role: DESK_MENUS.get(role or "", []))
    return env


@cache
def static_url(path: str) -> str:
    """A static file's address with its content hash: cached for a year, never stale."""
    digest = hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


def category_name(lang: i18n.Lang, category: str) -> str:
    return lang.gettext(CATEGORY_NAMES.get(category, category))


def translate_message(lang: i18n.Lang, message: str) -> str:
    """An API message in the person's language (as it came when not catalogued)."""
    translated = lang.gettext(message)
    if translated != message or lang.code == "en":
        return translated
    for pattern, template in API_MESSAGE_PATTERNS:
        match = pattern.match(message)
        if match:
            return lang.gettext(template, **match.groupdict())
    return message


class Errors:
    """What went wrong in a form, per field, in the person's language; empty when
    nothing did. Field names are the API's (`amount_cents`) or the form's own."""

    def __init__(self, lang: i18n.Lang, fields: dict[str, Any] | None = None,
                 message: str | None = None, aliases: dict[str, str] | None = None) -> None:
        self.lang = lang
        self.message = translate_message(lang, message) if message else None
        self.fields: dict[str, list[str]] = {}
        for name, messages in (fields or {}).items():
            name = (aliases or {}).get(name, name)
            if isinstance(messages, dict):  # nested (e.g. a list's items)
                messages = [m for ms in messages.values() for m in
                            (ms if isinstance(ms, list) else [ms])]
            if isinstance(messages, str):
                messages = [messages]
            self.add(name, *[str(m) for m in messages])

    def add(self, field: str, *messages: str) -> None:
        self.fields.setdefault(field, []).extend(
            translate_message(self.lang, m) for m in messages)

    def add_text(self, field: str, *texts: str) -> None:
        """Sentences already in the person's language (web.refusals says them)."""
        self.fields.setdefault(field, []).extend(texts)

    def __bool__(self) -> bool:
        return bool(self.fields or self.message)

    def get(self, field: str) -> list[str]:
        return self.fields.get(field, [])

    def first(self, field: str) -> str:
        return self.fields.get(field, [""])[0]


def qr_svg(text: str, title: str) -> Markup:
    """The code as an inline SVG QR image, crisp at any size and printable."""
    qr = segno.make(text, error="m", micro=False)
    svg = qr.svg_inline(scale=1, border=4, dark="#000", light="#fff", title=title,
                        svgclass="qr", lineclass=None, omitsize=True)
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def render(template: str, page: Page, **context: Any) -> str:
    lang = page.lang
    env = environment()
    tmpl = env.get_template(template)
    return tmpl.render(
        page=page, lang=lang, role=page.role, csrf_token=page.csrf,
        money=lang.money, euros=lang.euros, rate=lang.percent, date=lang.date,
        datetime=lang.datetime, km=lang.km,
        amount=lang.amount, gettext=lang.gettext, _=lang.gettext,
        ngettext=lambda s, p, n, **kw: lang.gettext(s if n == 1 else p, n=n, **kw),
        path=page.request.path, htmx=page.htmx,
        errors=context.pop("errors", None) or Errors(lang), **context)
