"""The HR manager's console, at a desk, one room per task: here what every room
shares and the overview (the dashboard: is everyone covered and what is left; the
payroll report); the people (hr_people), money in (hr_funding), plans (hr_plans),
grants (hr_grants), reimbursements (hr_reimbursements) and bonus offers (hr_bonus)
beside it. Every page is a client of /api/v1 as the signed-in HR manager."""

from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from web import i18n, refusals, views
from web.client import ApiError
from web.routing import Page, page
from web.views import N_, Errors

HR = ("hr",)
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"),
          N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec"))
# What a refusal says on HR's pages, where HR's own words fit better than the
# default's (web.refusals); the placeholders are the code's params.
HR_TEXTS = {
    "repeats_row": N_("the same as line %(row)s"),
    "csv_unknown_columns": N_("Columns this import does not know: %(columns)s."),
    "csv_empty": N_("The file is empty."),
    "csv_no_rows": N_("The file has a header but no rows."),
    "csv_too_many_rows": N_("At most %(max_rows)s rows a file."),
    "already_enrolled": N_("already enrolled"),
    "email_taken": N_("already has an account"),
    "end_before_today": N_("The plan cannot end before today."),
    "ends_before_start": N_("The plan cannot end before it starts."),
    "end_too_soon": N_("Not before %(earliest)s: credit was granted on this plan, and "
                       "employees are told %(notice_days)s days before it ends."),
    "categories_only_added": N_("Categories can be added, not removed: %(kept)s stay in the "
                                "plan."),
    "budget_only_before_first_grant": N_("A budget can be set only before the plan's first "
                                         "grant: credit was already granted without one."),
    "budget_below_granted": N_("Not below %(granted_cents)s: an employee was already granted "
                               "that much on this plan."),
    "plan_ended": N_("This plan ended on %(valid_until)s: it can no longer be changed."),
}


def today() -> date:
    return date.today()

def whole(text: str | None, default: int | None = None) -> int | None:
    """A whole number from a query or a form, or `default`."""
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        return default


def is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def refused(lang: i18n.Lang, exc: ApiError, aliases: dict[str, str] | None = None) -> Errors:
    """An API refusal as a form's errors: beside each field it names, or, for a
    rule (422), as the page's message, which says what is possible."""
    if exc.status == 422 or not exc.problems:
        errors = Errors(lang)
        errors.message = refusals.say(lang, exc, HR_TEXTS)
        return errors
    return refusals.errors(lang, exc, aliases=aliases, texts=HR_TEXTS, summary=False)


def employees_by_id(page: Page, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Employees by id (the API's table, 200 at a time)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 200):
        chunk = ids[start:start + 200]
        items = page.api("GET", f"/companies/{page.company_id}/employees", params={
            "ids": ",".join(chunk), "limit": 200})["items"]
        found.update({e["id"]: e for e in items})
    return found


def open_plans(page: Page, since: date | None = None) -> list[dict[str, Any]]:
    """The company's plans still running on `since` (today unless said)."""
    plans = page.api("GET", f"/companies/{page.company_id}/plans")["items"]
    day = (since or today()).isoformat()
    return [p for p in plans if p["valid_until"] >= day]


# -- charts: SVG drawn on the server, the same figures in a table beside them --------------
def bar_chart(lang: i18n.Lang, chart_id: str, title: str, bars: list[tuple[str, int]],
              vertical: bool = False) -> Markup:
    """A bar chart as inline SVG (no script): each bar labelled with its figure, so
    nothing is told by colour or length alone; the page gives the table too."""
    top = max([v for _, v in bars] + [1])
    label, money = escape, lang.money
    parts = [f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t" '
             f'focusable="false" xmlns="http://www.w3.org/2000/svg" ']
    if vertical:
        width, height, base, left = 720, 260, 210, 10
        step = (width - left) / max(len(bars), 1)
        parts.append(f'viewBox="0 0 {width} {height}">')
        parts.append(f'<title id="{chart_id}-t">{label(title)}</title>')
        parts.append(f'<line class="chart__axis" x1="{left}" y1="{base}" x2="{width}" '
                     f'y2="{base}"/>')
        for i, (name, value) in enumerate(bars):
            h = round(170 * value / top) if value else 0
            x = left + i * step + step * 0.15
            w = step * 0.7
            parts.append(f'<rect class="chart__bar" x="{x:.1f}" y="{base - h}" '
                         f'width="{w:.1f}" height="{max(h, 0)}"/>')
            if value:
                parts.append(f'<text class="chart__value" x="{x + w / 2:.1f}" '
                             f'y="{base - h - 6}" text-anchor="middle">'
                             f'{label(_short_money(lang, value))}</text>')
            parts.append(f'<text class="chart__label" x="{x + w / 2:.1f}" y="{base + 20}" '
                         f'text-anchor="middle">{label(name)}</text>')
    else:
        row, left, width = 34, 230, 720
        height = row * max(len(bars), 1) + 8
        parts.append(f'viewBox="0 0 {width} {height}">')
        parts.append(f'<title id="{chart_id}-t">{label(title)}</title>')
        for i, (name, value) in enumerate(bars):
            y = 4 + i * row
            w = round(330 * value / top)
            parts.append(f'<text class="chart__label" x="{left - 10}" y="{y + 21}" '
                         f'text-anchor="end">{label(name)}</text>')
            parts.append(f'<rect class="chart__bar" x="{left}" y="{y + 5}" width="{max(w, 1)}" '
                         f'height="{row - 12}"/>')
            parts.append(f'<text class="chart__value" x="{left + w + 8}" y="{y + 21}">'
                         f'{label(money(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(str(p) for p in parts))


def _short_money(lang: i18n.Lang, cents: int) -> str:
    """A bar's label: whole euros (the table has the cents)."""
    return lang.money(cents - cents % 100).replace(",00", "").replace(".00", "")


class HrPages:
    # -- the dashboard ------------------------------------------------------------------
    @page("GET", "/hr", roles=HR)
    def hr_dashboard(self, page: Page) -> Response:
        _ = page.lang.gettext
        year = whole(page.request.args.get("year"), today().year) or today().year
        year = min(max(year, 2000), 2100)
        cid = page.company_id
        figures, company = page.api_all(
            ("GET", f"/companies/{cid}/dashboard", {"params": {"year": year}}),
            ("GET", f"/companies/{cid}"))
        categories = [(views.category_name(page.lang, c["category"]), c["spent_cents"])
                      for c in figures["by_category"]]
        translate = page.lang.gettext  # the month names are catalogued with N_ above
        months = [(translate(MONTHS[m["month"] - 1]), m["spent_cents"])
                  for m in figures["by_month"]]
        return page.render(
            "hr/dashboard.html", figures=figures, company=company, year=year,
            this_year=today().year, months=MONTHS,
            category_chart=bar_chart(page.lang, "by-category", _(
                "Spending by category in %(year)s (the figures are in the table below)",
                year=year), categories) if categories else None,
            month_chart=bar_chart(page.lang, "by-month", _(
                "Spending by month in %(year)s (the figures are in the table below)",
                year=year), months, vertical=True))

    # -- the payroll report ---------------------------------------------------------------------
    @page("GET", "/hr/report", roles=HR)
    def hr_report(self, page: Page) -> Response:
        year = whole(page.request.args.get("year"), today().year) or today().year
        year = min(max(year, 2000), 2100)
        report = page.api("GET", f"/companies/{page.company_id}/reports/fiscal",
                          params={"year": year})
        return page.render("hr/report.html", report=report, year=year,
                           years=list(range(today().year, today().year - 6, -1)))

    @page("GET", "/hr/report.csv", roles=HR)
    def hr_report_csv(self, page: Page) -> Response:
        year = whole(page.request.args.get("year"), today().year) or today().year
        answer = page.api("GET", f"/companies/{page.company_id}/reports/fiscal",
                          params={"year": min(max(year, 2000), 2100), "format": "csv"},
                          raw=True)
        return page.finish(Response(answer.content, mimetype="text/csv", headers={
            "Content-Disposition": answer.headers.get(
                "Content-Disposition", f'attachment; filename="welfare-{year}.csv"'),
            "Cache-Control": "private, no-store"}))
