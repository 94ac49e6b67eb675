"""Plans: the company's plans, a new one (what the law allows in each category beside
it), and a running plan changed only as far as the promises it made allow."""

from __future__ import annotations

import re
from typing import Any

from wecare_common.contract import periods
from werkzeug.wrappers import Response

from web import i18n, refusals, views
from web.client import ApiError
from web.pages.hr import HR, HR_TEXTS, is_date, refused, today, whole
from web.routing import Page, page
from web.views import N_, Errors

LEFTOVER = {"return_to_fund": N_("Returns to the company fund"),
            "roll_over": N_("Rolls over into the next plan")}
PLAN_FIELDS = {"per_employee_budget_cents": "budget"}
PLAN_FORM_FIELDS = {"name", "valid_until", "categories", "target_groups",
                    "per_employee_budget_cents", "leftover_policy"}


def _plan_errors(lang: i18n.Lang, exc: ApiError) -> Errors:
    """A refused change: each field's problem beside the field (rules too, 422), the
    rest as the summary's message."""
    errors = refusals.errors(lang, exc, aliases=PLAN_FIELDS, texts=HR_TEXTS, summary=False)
    if not exc.problems or set(exc.problems) - PLAN_FORM_FIELDS:
        errors.message = refusals.say(lang, exc, HR_TEXTS)
    return errors


def _category_hint(lang: i18n.Lang, rule: dict[str, Any], rules: dict[str, Any]) -> str:
    """What the law allows in a category, in a line (from /api/v1/fiscal-rules)."""
    _ = lang.gettext
    how = (_("voucher or reimbursement with receipt") if rule["cash_reimbursable"]
           else _("voucher or payment to the fund, never in cash"))
    if rule["category"] == "fringe":
        limit = _("tax-free up to %(limit)s a year per employee (%(children)s with dependent "
                  "children); a cent over and the whole year's amount is taxed",
                  limit=lang.money(rules["fringe"]["limit_cents"]),
                  children=lang.money(rules["fringe"]["limit_with_children_cents"]))
    elif rule["yearly_limit_cents"] is not None:
        limit = _("tax-free up to %(limit)s a year per employee",
                  limit=lang.money(rule["yearly_limit_cents"]))
    else:
        limit = _("tax-free with no yearly limit")
    return f"{limit[0].upper()}{limit[1:]}; {how}. {rule['legal_basis']}."


class HrPlanPages:
    # -- plans ------------------------------------------------------------------------------
    @page("GET", "/hr/plans", roles=HR)
    def hr_plans(self, page: Page) -> Response:
        plans = page.api("GET", f"/companies/{page.company_id}/plans")["items"]
        return page.render("hr/plans.html", plans=plans, leftover=LEFTOVER, today=today(),
                           done=page.request.args.get("done"))

    @page("GET", "/hr/plans/new", roles=HR)
    def hr_new_plan(self, page: Page) -> Response:
        year = whole(page.request.args.get("fiscal_year"), today().year) or today().year
        year = year if year in self._plan_years() else today().year
        form = {"name": page.request.args.get("name", f"Welfare {year}"),
                "fiscal_year": year, "valid_from": f"{year}-01-01",
                "valid_until": f"{year}-12-31",
                "categories": [c for c in page.request.args.getlist("categories")
                               if c in views.CATEGORY_NAMES],
                "leftover_policy": "return_to_fund", "target_groups": "", "budget": ""}
        return self._plan_form(page, form)

    def _plan_years(self) -> list[int]:
        return [today().year, today().year + 1]

    def _plan_form(self, page: Page, form: dict[str, Any], errors: Errors | None = None,
                   status: int = 200) -> Response:
        rules = page.api_anonymous("GET", "/fiscal-rules", params={"year": form["fiscal_year"]})
        template = "hr/_plan_categories.html" if page.htmx else "hr/plan_new.html"
        return page.render(template, status=status, form=form, errors=errors, rules=rules,
                           years=self._plan_years(), leftover=LEFTOVER,
                           hints={r["category"]: _category_hint(page.lang, r, rules)
                                  for r in rules["categories"]})

    @page("POST", "/hr/plans/new", roles=HR)
    def hr_create_plan(self, page: Page) -> Response:
        _ = page.lang.gettext
        f = page.form
        form = {"name": f.get("name", "").strip(),
                "fiscal_year": whole(f.get("fiscal_year"), today().year),
                "valid_from": f.get("valid_from", ""), "valid_until": f.get("valid_until", ""),
                "categories": [c for c in f.getlist("categories") if c in views.CATEGORY_NAMES],
                "leftover_policy": f.get("leftover_policy", ""),
                "target_groups": f.get("target_groups", "").strip(),
                "budget": f.get("budget", "").strip()}
        errors = Errors(page.lang)
        budget = None
        if form["budget"]:
            budget = i18n.parse_amount(form["budget"])
            if not budget:
                errors.add("budget", _("Enter an amount in euros, like 500,00, or leave it "
                                       "empty."))
        if form["fiscal_year"] not in self._plan_years():
            form["fiscal_year"] = today().year
        if not form["name"]:
            errors.add("name", _("Enter a name for the plan."))
        for name in ("valid_from", "valid_until"):
            if not is_date(form[name]):
                errors.add(name, _("Enter a date, like 31/12/%(year)s.", year=today().year))
        if not errors.get("valid_until") and not errors.get("valid_from") and (
                out_of_order := periods.out_of_order(form["valid_from"], form["valid_until"])):
            errors.add(periods.FIELD, refusals.text(page.lang, out_of_order.code,
                                                    out_of_order.params, HR_TEXTS))
        if not form["categories"]:
            errors.add("categories", _("Choose at least one category."))
        if form["leftover_policy"] not in LEFTOVER:
            errors.add("leftover_policy", _("Say what happens to what is left at the end."))
        if not errors:
            groups = [g.strip() for g in re.split(r"[,;\n]", form["target_groups"])
                      if g.strip()]
            try:
                page.api("POST", f"/companies/{page.company_id}/plans", json={
                    "name": form["name"], "fiscal_year": form["fiscal_year"],
                    "valid_from": form["valid_from"] or None,
                    "valid_until": form["valid_until"] or None,
                    "categories": form["categories"],
                    "leftover_policy": form["leftover_policy"] or None,
                    "target_groups": groups or None, "per_employee_budget_cents": budget})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = refused(page.lang, exc, {"per_employee_budget_cents": "budget"})
            else:
                return page.redirect("/hr/plans?done=created")
        return self._plan_form(page, form, errors, status=400)

    # -- changing a plan ----------------------------------------------------------------------
    def _plan(self, page: Page, pid: str) -> dict[str, Any]:
        plans = page.api("GET", f"/companies/{page.company_id}/plans")["items"]
        found = next((p for p in plans if p["id"] == pid), None)
        if found is None:
            raise ApiError(404, "not_found", "no such plan")
        return found

    @page("GET", "/hr/plans/<pid>", roles=HR)
    def hr_plan(self, page: Page, pid: str) -> Response:
        plan = self._plan(page, pid)
        budget = plan.get("per_employee_budget_cents")
        form = {"name": plan["name"], "valid_until": plan["valid_until"],
                "categories": list(plan["categories"]),
                "target_groups": ", ".join(plan.get("target_groups") or []),
                "budget": page.lang.amount(budget) if budget else "",
                "leftover_policy": plan["leftover_policy"]}
        return self._plan_edit_form(page, plan, form)

    def _plan_edit_form(self, page: Page, plan: dict[str, Any], form: dict[str, Any],
                        errors: Errors | None = None, status: int = 200) -> Response:
        rules = page.api_anonymous("GET", "/fiscal-rules", params={"year": plan["fiscal_year"]})
        return page.render("hr/plan_edit.html", status=status, plan=plan, form=form,
                           errors=errors, rules=rules, leftover=LEFTOVER,
                           ended=plan["valid_until"] < today().isoformat(),
                           locked=list(plan["categories"]),
                           hints={r["category"]: _category_hint(page.lang, r, rules)
                                  for r in rules["categories"]})

    @page("POST", "/hr/plans/<pid>", roles=HR)
    def hr_change_plan(self, page: Page, pid: str) -> Response:
        """The plan's form, sent whole: the API applies what changed, or says for each
        field the promise it would break (beside the field, in the person's language)."""
        _ = page.lang.gettext
        plan = self._plan(page, pid)
        f = page.form
        form = {"name": f.get("name", "").strip(), "valid_until": f.get("valid_until", ""),
                # the plan's own categories stay: they can be added to, not removed
                "categories": list(dict.fromkeys(plan["categories"] + [
                    c for c in f.getlist("categories") if c in views.CATEGORY_NAMES])),
                "target_groups": f.get("target_groups", "").strip(),
                "budget": f.get("budget", "").strip(),
                "leftover_policy": f.get("leftover_policy", "")}
        errors = Errors(page.lang)
        budget = None
        if form["budget"]:
            budget = i18n.parse_amount(form["budget"])
            if not budget:
                errors.add("budget", _("Enter an amount in euros, like 500,00, or leave it "
                                       "empty."))
        if not form["name"]:
            errors.add("name", _("Enter a name for the plan."))
        if not is_date(form["valid_until"]):
            errors.add("valid_until", _("Enter a date, like 31/12/%(year)s.", year=today().year))
        if form["leftover_policy"] not in LEFTOVER:
            errors.add("leftover_policy", _("Say what happens to what is left at the end."))
        if not errors:
            groups = [g.strip() for g in re.split(r"[,;\n]", form["target_groups"])
                      if g.strip()]
            try:
                page.api("PATCH", f"/plans/{pid}", json={
                    "name": form["name"], "valid_until": form["valid_until"],
                    "categories": form["categories"], "target_groups": groups or None,
                    "per_employee_budget_cents": budget,
                    "leftover_policy": form["leftover_policy"]})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = _plan_errors(page.lang, exc)
            else:
                return page.redirect("/hr/plans?done=changed")
        return self._plan_edit_form(page, plan, form, errors, status=400)
