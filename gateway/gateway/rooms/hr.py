"""The HR manager's routes: the company, its people, money in (top-ups), plans and
grants, reimbursements, the fiscal report. Every company id is checked against the
caller's (`own_company`)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from wecare_common.contract import refusals
from wecare_common.contract.benefits import (
    BonusOfferRequest,
    DecisionRequest,
    DepartureRequest,
    EstimateSettingsRequest,
    GrantRequest,
    InvitationAnswer,
    PlanChange,
    PlanRequest,
)
from wecare_common.contract.responses import (
    AccountOut,
    AccountPage,
    BonusOfferDetail,
    BonusOfferOut,
    BonusOfferPage,
    CompanyMembershipOut,
    CompanyNetworkOut,
    CompanyOut,
    CompanySharedPlanPage,
    CompanyTopupPage,
    DashboardOut,
    EmployeeOut,
    EmployeeTable,
    EstimateSettingsOut,
    FundingOptionsOut,
    GrantCheckOut,
    GrantOut,
    ImportOut,
    ImportPreviewOut,
    InvitationOut,
    InvitationResentOut,
    PlanItem,
    PlanOut,
    PlanPage,
    ReimbursementOut,
    ReimbursementPage,
    ReportOut,
    TopupOut,
)
from wecare_common.contract.wallet import CompanyTopupQuery, TopupFields
from wecare_common.errors import Conflict
from werkzeug.wrappers import Response

from gateway import access, users
from gateway.rooms.base import Room, json_ready, own_company, request_language
from gateway.routing import SignedInCall, api, read_raw
from gateway.schemas import (
    DashboardQuery,
    EmployeeIn,
    EmployeeQuery,
    InvitationIn,
    ReimbursementQuery,
    ReportQuery,
)

MAX_CSV_BYTES = 20 * 1024 * 1024



class HrRoom(Room):
    @api("POST", "/api/v1/companies/<cid>/hr-invitations", roles=("hr",), body=InvitationIn,
         response=InvitationOut, status=201, summary="invite another HR manager by email")
    def invite_hr(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        user = users.create_user(self.db, email=call.body["email"], password=None, role="hr",
                                 company_id=cid)
        users.send_link(self.db, user, "invitation",
                        f"{call.body['first_name']} {call.body['last_name']}",
                        language=request_language(call))
        self.db.commit()
        return {"id": user.id, "email": user.email, "role": user.role}

    @api("GET", "/api/v1/companies/<cid>", roles=("admin", "hr"), response=CompanyOut,
         summary="a company with its fund balance")
    def get_company(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        company = self.benefits.get_company(cid)
        return {**company, "fund_balance_cents": self.wallet.fund_balance(cid)["balance_cents"]}

    @api("POST", "/api/v1/companies/<cid>/employees", roles=("hr",), body=EmployeeIn,
         response=EmployeeOut, status=201, summary="add an employee")
    def add_employee(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        data = dict(call.body)
        password = data.pop("password")
        # no password given: the employee is invited by email (once enrolled)
        return self._sign_up(call, "employee", email=data["email"], role="employee",
                             password=password, company_id=cid,
                             invite_name=data["first_name"], service="benefits",
                             method="enroll_employee", args=[cid], kwargs=json_ready(data))

    @api("GET", "/api/v1/companies/<cid>/employees", roles=("hr",), query=EmployeeQuery,
         response=EmployeeTable, summary="the company's employees: as added, a cursor at a "
         "time; or searched (q), filtered and sorted, a page at a time with the total")
    def list_employees(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        query = {k: v for k, v in call.query.items() if v is not None}
        if "ids" in query:
            query["ids"] = query["ids"].split(",")
        table = self.benefits.list_employees(cid, **query)
        pending = users.pending_invitations(self.db, [e["id"] for e in table["items"]])
        for employee in table["items"]:
            employee["invitation_pending"] = employee["id"] in pending
        return table

    @api("POST", "/api/v1/companies/<cid>/employees/<eid>/invitation", roles=("hr",),
         response=InvitationResentOut,
         summary="send an employee's invitation again (a new link; the earlier one stops "
                 "working)")
    def resend_invitation(self, call: SignedInCall, cid: str, eid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        found = self.benefits.list_employees(cid, ids=[eid], limit=1)["items"]
        user = users.of_employee(self.db, eid)
        if not found or user is None or user.company_id != cid:
            raise refusals.EMPLOYEE_UNKNOWN(field="employee_id")
        if found[0]["status"] != "active":
            raise refusals.EMPLOYEE_ALREADY_LEFT(field="employee_id")
        if user.password_hash is not None:
            raise refusals.EMPLOYEE_ALREADY_ACTIVE(field="employee_id")
        users.send_link(self.db, user, "invitation", found[0]["first_name"],
                        language=found[0]["language"])
        self.db.commit()
        return {"employee_id": eid, "email": user.email, "sent": True}

    @api("GET", "/api/v1/companies/<cid>/dashboard", roles=("hr",), query=DashboardQuery,
         response=DashboardOut, summary="the company at a glance: the fund; a year's "
         "top-ups, grants and spending by category and month; credit still held, plan by "
         "plan, with the date each ends")
    def company_dashboard(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        active = self.benefits.list_employees(cid, status="active", limit=1)["total"]
        year = call.query["year"] or date.today().year
        return {**self.wallet.company_dashboard(cid, year), "employees": active}

    @api("POST", "/api/v1/companies/<cid>/employees/import", roles=("hr",),
         body_type="text/csv", max_body_bytes=MAX_CSV_BYTES, response=ImportOut, status=201,
         summary="import employees from CSV: all rows or none, bad rows listed with reasons")
    def import_employees(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        text = _csv_text(call)
        users.ensure_emails_free(self.db, self.benefits.check_import(cid, text))
        result = self.benefits.import_employees(cid, text)
        users.create_invited(self.db, [(e["email"], e["id"], e["language"])
                                       for e in result["employees"]], company_id=cid)
        self.db.commit()
        return result

    @api("POST", "/api/v1/companies/<cid>/employees/import/preview", roles=("hr",),
         body_type="text/csv", max_body_bytes=MAX_CSV_BYTES, response=ImportPreviewOut,
         summary="the import's dry run: the rows that would import and every bad row with "
                 "its reasons; writes nothing")
    def preview_import(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        text = _csv_text(call)
        preview = self.benefits.preview_import(cid, text)
        taken = users.taken_emails(self.db, [e["email"] for e in preview["employees"]])
        if taken:  # an account elsewhere in WeCare (another company, a provider…)
            for row in [e for e in preview["employees"] if e["email"].lower() in taken]:
                preview["errors"][str(row["row"])] = {"email": [refusals.EMAIL_TAKEN.message]}
                preview["problems"][str(row["row"])] = {"email": [
                    refusals.EMAIL_TAKEN.said().problem()]}
                preview["employees"].remove(row)
            preview["errors"] = dict(sorted(preview["errors"].items(), key=lambda r: int(r[0])))
            preview["problems"] = dict(sorted(preview["problems"].items(),
                                              key=lambda r: int(r[0])))
            preview["importable"] = len(preview["employees"])
            preview["valid"] = False
        return preview

    @api("POST", "/api/v1/companies/<cid>/employees/<eid>/departure", roles=("hr",),
         body=DepartureRequest, response=EmployeeOut,
         summary="an employee leaves: unspent credit returns to the company fund, and their "
                 "account is read-only until their access ends (30 days by default)")
    def employee_departure(self, call: SignedInCall, cid: str, eid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        try:
            left = self.benefits.depart(cid, eid, **json_ready(call.body))
        except Conflict:
            # already left: a retry after this gateway died between the two steps still
            # makes the account read-only, then says it had left
            found = self.benefits.list_employees(cid, ids=[eid], limit=1)["items"]
            if found and found[0]["status"] == "left":
                access.employee_left(self.db, eid)
            raise
        access.employee_left(self.db, eid)  # read-only now, until access ends
        return left

    @api("GET", "/api/v1/companies/<cid>/hr-managers", roles=("hr",), response=AccountPage,
         summary="the company's HR managers: active, invited, or removed")
    def hr_managers(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return {"items": [access.account_view(u) for u in access.hr_managers(self.db, cid)],
                "next_cursor": None}

    @api("POST", "/api/v1/companies/<cid>/hr-managers/<uid>/removal", roles=("hr",),
         response=AccountOut, summary="remove a colleague's HR access: their sessions end "
         "at once and they can no longer sign in (not your own)")
    def remove_hr_manager(self, call: SignedInCall, cid: str, uid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        colleague = access.hr_manager(self.db, cid, uid)
        access.disable(self.db, colleague, by=call.principal.user_id, reason=access.REMOVED)
        return access.account_view(colleague)

    @api("POST", "/api/v1/companies/<cid>/topups", roles=("hr",), body=TopupFields,
         response=TopupOut, status=201, moves_money=True,
         summary="fund the welfare budget by card/SEPA (Stripe) or bank transfer")
    def request_topup(self, call: SignedInCall, cid: str) -> tuple[int, Any]:
        own_company(call.principal, cid)
        return self._once(call, lambda: self.wallet.request_topup(
            company_id=cid, idempotency_key=self._downstream_key(call), **call.body), 201)

    @api("GET", "/api/v1/companies/<cid>/funding-options", roles=("hr",),
         response=FundingOptionsOut, summary="how the company may top up: bank transfer, and "
         "card or SEPA Direct Debit (Stripe) with the publishable key when configured")
    def funding_options(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.wallet.funding_options(cid)

    @api("GET", "/api/v1/companies/<cid>/topups", roles=("hr",), query=CompanyTopupQuery,
         response=CompanyTopupPage,
         summary="the company's top-ups, newest first, each with its state and reference")
    def company_topups(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.wallet.company_topups(cid, **call.query)

    @api("POST", "/api/v1/companies/<cid>/plans", roles=("hr",), body=PlanRequest,
         response=PlanOut, status=201, summary="create a welfare plan")
    def create_plan(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.create_plan(cid, **json_ready(call.body))

    @api("GET", "/api/v1/companies/<cid>/plans", roles=("hr",), response=PlanPage,
         summary="the company's plans, the latest fiscal year first")
    def list_plans(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.list_plans(cid)

    @api("PATCH", "/api/v1/plans/<pid>", roles=("hr",), body=PlanChange, response=PlanItem,
         summary="change a plan while it runs: name, end date, categories added, target "
         "groups, budget per employee, leftover policy (within the promises already made)")
    def change_plan(self, call: SignedInCall, pid: str) -> dict[str, Any]:
        return self.benefits.change_plan(call.principal.company_id,
                                         pid, **json_ready(call.body))

    @api("POST", "/api/v1/plans/<pid>/grant-check", roles=("hr",), body=GrantRequest,
         response=GrantCheckOut, summary="what a grant would do, checked and not sent: who, "
         "the total, the fund, each person the budget or the bonus rules would refuse")
    def check_grant(self, call: SignedInCall, pid: str) -> dict[str, Any]:
        company_id = call.principal.company_id
        check = self.benefits.grant_preview(company_id, pid, **call.body)
        fund = self.wallet.fund_balance(company_id)["balance_cents"]
        return {**check, "fund_balance_cents": fund,
                "fund_short_cents": max(check["total_cents"] - fund, 0)}

    @api("POST", "/api/v1/plans/<pid>/grants", roles=("hr",), body=GrantRequest, response=GrantOut,
         status=201, moves_money=True, summary="grant credits from the company fund")
    def grant_credits(self, call: SignedInCall, pid: str) -> tuple[int, Any]:
        return self._once(call, lambda: self.benefits.grant_credits(
            company_id=call.principal.company_id, plan_id=pid,
            idempotency_key=self._downstream_key(call), **call.body), 201)

    @api("GET", "/api/v1/companies/<cid>/reimbursements", roles=("hr",),
         query=ReimbursementQuery, response=ReimbursementPage,
         summary="the company's reimbursement requests (e.g. status=requested)")
    def company_reimbursements(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.reimbursements(company_id=cid, **call.query)

    @api("GET", "/api/v1/companies/<cid>/reimbursements/<rid>/receipt", roles=("hr",),
         summary="a request's receipt as the employee sent it (PDF, JPEG or PNG)")
    def reimbursement_receipt(self, call: SignedInCall, cid: str, rid: str) -> Response:
        own_company(call.principal, cid)
        receipt = self.benefits.reimbursement_receipt(cid, rid)
        inline = receipt["content_type"].startswith("image/")
        return Response(base64.b64decode(receipt["content_base64"]),
                        mimetype=receipt["content_type"], headers={
            "Content-Disposition": f'{"inline" if inline else "attachment"}; '
                                   f'filename="{receipt["filename"]}"',
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox"})

    @api("POST", "/api/v1/reimbursements/<rid>/decision", roles=("hr",), body=DecisionRequest,
         response=ReimbursementOut, moves_money=True,
         summary="approve (paid with the next payroll) or reject (the credit returns)")
    def decide_reimbursement(self, call: SignedInCall, rid: str) -> tuple[int, Any]:
        return self._once(call, lambda: self.benefits.decide_reimbursement(
            call.principal.company_id, rid, **call.body), 200)

    @api("GET", "/api/v1/companies/<cid>/reports/fiscal", roles=("hr",), query=ReportQuery,
         response=ReportOut, summary="per employee and category: exempt, fringe, taxable")
    def fiscal_report(self, call: SignedInCall, cid: str) -> Any:
        own_company(call.principal, cid)
        if call.query["format"] == "csv":
            csv_text = self.benefits.fiscal_report(cid, call.query["year"], as_csv=True)
            return Response(csv_text, mimetype="text/csv", headers={
                "Content-Disposition":
                    f'attachment; filename="welfare-{cid}-{call.query["year"]}.csv"'})
        return self.benefits.fiscal_report(cid, call.query["year"])

    @api("GET", "/api/v1/companies/<cid>/estimate-settings", roles=("hr",),
         response=EstimateSettingsOut, summary="what the estimates of what welfare is worth "
         "assume for your people: contribution rate, surcharges, income band")
    def estimate_settings(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.estimate_settings(cid)

    @api("PUT", "/api/v1/companies/<cid>/estimate-settings", roles=("hr",),
         body=EstimateSettingsRequest, response=EstimateSettingsOut,
         summary="set what the estimates assume for your people (null: the default)")
    def change_estimate_settings(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.change_estimate_settings(cid, **call.body)

    # -- performance-bonus offers (docs/domain.md#bonus-offers) ---------------------------
    @api("POST", "/api/v1/companies/<cid>/bonus-offers", roles=("hr",), body=BonusOfferRequest,
         response=BonusOfferOut, status=201, moves_money=True,
         summary="offer a performance bonus to eligible employees: each chooses, until the "
                 "deadline, how much to take as welfare credit; the rest is paid in cash")
    def create_bonus_offer(self, call: SignedInCall, cid: str) -> tuple[int, Any]:
        own_company(call.principal, cid)
        return self._once(call, lambda: self.benefits.create_bonus_offer(
            cid, self._downstream_key(call), **json_ready(call.body)), 201)

    @api("GET", "/api/v1/companies/<cid>/bonus-offers", roles=("hr",), response=BonusOfferPage,
         summary="the company's bonus offers, with who chose what, in totals")
    def bonus_offers(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.bonus_offers(cid)

    @api("GET", "/api/v1/companies/<cid>/bonus-offers/<offer_id>", roles=("hr",),
         response=BonusOfferDetail, summary="one bonus offer: each employee's choice and, "
         "after the deadline, what it came to")
    def bonus_offer(self, call: SignedInCall, cid: str, offer_id: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.bonus_offer(cid, offer_id)


    # -- the firm's network (docs/domain.md#networks) ------------------------------------
    @api("GET", "/api/v1/companies/<cid>/network", roles=("hr",), response=CompanyNetworkOut,
         summary="the network the firm is a member of, and the invitations waiting for its "
         "answer")
    def company_network(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.company_network(cid)

    @api("POST", "/api/v1/companies/<cid>/network-invitations/<iid>/answer", roles=("hr",),
         body=InvitationAnswer, response=CompanyMembershipOut, summary="accept a network's "
         "invitation (the firm joins; one network at a time) or decline it")
    def answer_network_invitation(self, call: SignedInCall, cid: str, iid: str
                                  ) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.answer_invitation(cid, iid, **call.body)

    @api("POST", "/api/v1/companies/<cid>/network/departure", roles=("hr",),
         response=CompanyMembershipOut, summary="leave the network: it sees nothing new of "
         "the firm from now on; the firm's plans and money stay its own")
    def leave_network(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.leave_network(cid)

    @api("GET", "/api/v1/companies/<cid>/shared-plans", roles=("hr",),
         response=CompanySharedPlanPage, summary="the shared plans of the firm's network, "
         "each with the firm's own plan once adopted")
    def company_shared_plans(self, call: SignedInCall, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.company_shared_plans(cid)

    @api("POST", "/api/v1/companies/<cid>/shared-plans/<spid>/adoption", roles=("hr",),
         response=PlanOut, status=201, summary="adopt a shared plan of the firm's network: "
         "a plan of the firm's own, granted from its own fund")
    def adopt_shared_plan(self, call: SignedInCall, cid: str, spid: str) -> dict[str, Any]:
        own_company(call.principal, cid)
        return self.benefits.adopt_shared_plan(cid, spid)


def _csv_text(call: SignedInCall) -> str:
    """The CSV file sent as the request's body, as text (UTF-8, at most MAX_CSV_BYTES)."""
    raw = read_raw(call.request, MAX_CSV_BYTES)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refusals.CSV_NOT_UTF8(field="_body") from exc
