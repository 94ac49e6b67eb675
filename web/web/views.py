"""Rendering: one Jinja2 environment, the helpers every template shares, and a
form's errors (the API's refusals are said by web.refusals, by their codes)."""

from __future__ import annotations

import hashlib
import uuid
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from werkzeug.wrappers import Request

from web import i18n

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
           ("/hr/colleagues", N_("HR colleagues")), ("/hr/network", N_("Network"))],
    "admin": [("/admin", N_("Overview")), ("/admin/providers", N_("Providers")),
              ("/admin/transfers", N_("Bank transfers")),
              ("/admin/settlements", N_("Settlements")), ("/admin/accounts", N_("Accounts")),
              ("/admin/networks", N_("Networks")), ("/admin/health", N_("Health"))],
    "network": [("/network", N_("Figures")), ("/network/members", N_("Member firms")),
                ("/network/plans", N_("Shared plans")), ("/network/circuit", N_("Circuit")),
                ("/network/report", N_("Report for funders")),
                ("/network/staff", N_("Network staff"))],
}
ROLE_NAMES = {"admin": N_("Operator"), "hr": N_("HR manager"), "employee": N_("Employee"),
              "provider": N_("Provider"), "network": N_("Network staff")}
VOUCHER_STATES = {"issued": N_("Active"), "cancelling": N_("Being cancelled"),
                  "redeemed": N_("Redeemed"), "cancelled": N_("Cancelled"),
                  "expired": N_("Expired")}

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


class Errors:
    """What went wrong in a form, per field, in the person's language; empty when
    nothing did. Field names are the API's (`amount_cents`) or the form's own. The
    texts are the page's own (`_()`), or a refusal's as web.refusals says it: never
    the API's English."""

    def __init__(self, lang: i18n.Lang, message: str | None = None) -> None:
        self.lang = lang
        self.message = message
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, *texts: str) -> None:
        self.fields.setdefault(field, []).extend(texts)

    add_text = add

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


class Rendered(Protocol):
    """What a page is rendered for (web.routing's Page is one): named by its shape,
    so that rendering needs nothing of routing."""

    lang: i18n.Lang
    csrf: str
    request: Request

    @property
    def role(self) -> str | None: ...

    @property
    def htmx(self) -> bool: ...


def render(template: str, page: Rendered, **context: Any) -> str:
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
