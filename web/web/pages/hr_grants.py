"""Grants: credit given on a plan to everyone eligible or to the people chosen,
checked first (who, the total, the fund, anyone the budget or the bonus rules would
refuse), then granted once (the form's Idempotency-Key)."""

from __future__ import annotations

from typing import Any

from wecare_common.contract import benefits
from werkzeug.wrappers import Response

from web import i18n, refusals
from web.client import ApiError
from web.pages.hr import HR, employees_by_id, open_plans, refused, today
from web.routing import Page, page
from web.views import Errors

GRANT_SOURCES = ("company", "performance_bonus")


class HrGrantPages:
    # -- grants ------------------------------------------------------------------------------
    @page("GET", "/hr/grants", roles=HR)
    def hr_grants(self, page: Page) -> Response:
        args = page.request.args
        chosen = [e for e in args.getlist("employee_id") if e][:200]
        form = {"plan_id": args.get("plan_id", ""), "amount": args.get("amount", ""),
                "who": args.get("who") or ("chosen" if chosen else "all"),
                "source": args.get("source") if args.get("source") in GRANT_SOURCES
                else "company", "choice_record": ""}
        return self._grant_form(page, form, chosen)

    def _grant_form(self, page: Page, form: dict[str, Any], chosen: list[str],
                    errors: Errors | None = None, status: int = 200) -> Response:
        plans = open_plans(page)
        years = sorted({p["fiscal_year"] for p in plans}) or [today().year]
        rules = {y: page.api_anonymous("GET", "/fiscal-rules", params={"year": y})
                 for y in years}
        people = employees_by_id(page, chosen)
        company = page.api("GET", f"/companies/{page.company_id}")
        if not form["plan_id"] and plans:
            form["plan_id"] = plans[0]["id"]
        return page.render("hr/grants.html", status=status, form=form, plans=plans,
                           chosen=[people.get(e, {"id": e}) for e in chosen], rules=rules,
                           company=company, errors=errors)

    def _grant_request(self, page: Page) -> tuple[dict[str, Any], list[str], Errors,
                                                  dict[str, Any]]:
        _ = page.lang.gettext
        f = page.form
        chosen = [e for e in f.getlist("employee_id") if e][:200]
        form = {"plan_id": f.get("plan_id", ""), "amount": f.get("amount", "").strip(),
                "who": "chosen" if f.get("who") == "chosen" else "all",
                "source": f.get("source") if f.get("source") in GRANT_SOURCES else "company",
                "choice_record": f.get("choice_record", "").strip()}
        errors = Errors(page.lang)
        cents = i18n.parse_amount(form["amount"])
        if not form["plan_id"]:
            errors.add("plan_id", _("Choose a plan."))
        if cents is None or cents <= 0:
            errors.add("amount", _("Enter the amount each person receives, like 250,00."))
        if form["who"] == "chosen" and not chosen:
            errors.add("who", _("Choose people in the employees list, or grant to everyone "
                                "eligible."))
        if form["source"] == "performance_bonus" and refusals.refused_by_contract(
                benefits.GrantRequest, "choice_record", form["choice_record"]):
            errors.add("choice_record", _(
                "Say where each employee's written choice to convert is recorded, or offer "
                "the bonus for them to choose."))
        body = {"amount_cents": cents, "source": form["source"]}
        if form["source"] == "performance_bonus":
            body["choice_record"] = form["choice_record"]
        body.update({"employee_ids": chosen} if form["who"] == "chosen" else {"all": True})
        return form, chosen, errors, body

    @page("POST", "/hr/grants/check", roles=HR)
    def hr_check_grant(self, page: Page) -> Response:
        """The grant as the API would do it, before anything moves: who, the total,
        the fund, and anyone the budget or the bonus rules would refuse."""
        form, chosen, errors, body = self._grant_request(page)
        if not errors:
            try:
                check = page.api("POST", f"/plans/{form['plan_id']}/grant-check", json=body)
            except ApiError as exc:
                if exc.status not in (400, 404, 409, 422):
                    raise
                errors = refused(page.lang, exc, {"amount_cents": "amount",
                                                  "employee_ids": "who", "all": "who"})
            else:
                plan = next((p for p in open_plans(page) if p["id"] == form["plan_id"]),
                            None)
                people = employees_by_id(page, sorted({p["employee_id"] for p in
                                                    check["problems"]}))
                rules = page.api_anonymous("GET", "/fiscal-rules",
                                           params={"year": check["fiscal_year"]})
                return page.render("hr/grant_check.html", form=form, chosen=chosen,
                                   check=check, plan=plan, people=people, rules=rules)
        return self._grant_form(page, form, chosen, errors, status=400)

    @page("POST", "/hr/grants", roles=HR)
    def hr_grant(self, page: Page) -> Response:
        _ = page.lang.gettext
        form, chosen, errors, body = self._grant_request(page)
        key = page.form.get("idempotency_key", "")
        if not key:
            errors.message = _("Reload the page and try again.")
        if not errors:
            try:
                grant = page.api("POST", f"/plans/{form['plan_id']}/grants", key=key,
                                 json=body)
            except ApiError as exc:
                if exc.status not in (400, 404, 409, 422):
                    raise
                errors = refused(page.lang, exc, {"amount_cents": "amount",
                                                  "employee_ids": "who", "all": "who"})
            else:
                ids = grant.get("employee_ids") or chosen
                shown = ids[:100]
                people = employees_by_id(page, shown)
                plan = next((p for p in open_plans(page) if p["id"] == grant["plan_id"]),
                            {"name": ""})
                return page.render("hr/grant_done.html", grant=grant, plan=plan,
                                   people=[people.get(e, {"id": e}) for e in shown],
                                   more=max(len(ids) - len(shown), 0))
        return self._grant_form(page, form, chosen, errors, status=400)
