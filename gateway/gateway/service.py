"""The HTTP API gateway: the only door into WeCare. Entrypoints are thin: the
route declares who may call it and what it accepts; the body calls services."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import nameko
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from nameko.web.handlers import http
from wecare_common import config, dlq, health
from wecare_common.config import env
from wecare_common.db import Database, make_engine, transaction
from wecare_common.errors import Conflict, DomainError, InvalidInput, NotFound
from wecare_common.rpc import ServiceUnavailable, TimedServiceRpc
from werkzeug.wrappers import Request, Response

from gateway import errors, idempotency, limits, pages, signups, users
from gateway.auth import Principal, Unauthenticated, issue_token
from gateway.clients import client_address
from gateway.models import Base
from gateway.openapi import build_spec, docs_page
from gateway.routing import Call, api, read_raw
from gateway.schemas import (
    ApprovalIn,
    AuditOut,
    CircuitPage,
    CircuitQuery,
    CompanyIn,
    CompanyOut,
    CompanyTopupPage,
    CompanyTopupsQuery,
    DashboardOut,
    DashboardQuery,
    DeadLettersOut,
    DeadLettersQuery,
    DecisionIn,
    EmployeeDeparture,
    EmployeeIn,
    EmployeeOut,
    EmployeeQuery,
    EmployeeTable,
    FailedEmails,
    FiscalRulesOut,
    FiscalRulesQuery,
    FundingOptionsOut,
    GrantCheckOut,
    GrantIn,
    GrantOut,
    HealthOut,
    ImportOut,
    ImportPreviewOut,
    InvitationIn,
    InvitationOut,
    InvitationResentOut,
    MeOut,
    NewPasswordIn,
    NotificationPage,
    OfferingDetail,
    OfferingIn,
    OfferingList,
    OfferingOut,
    OfferingPage,
    OfferingPatch,
    OfferingSearch,
    Page,
    PlanChangeIn,
    PlanIn,
    PlanItem,
    PlanOut,
    PlanPage,
    PreferencesIn,
    PreferencesOut,
    ProposalIn,
    ProposalOut,
    ProposalPage,
    ProviderIn,
    ProviderOut,
    ProviderPage,
    ProvidersQuery,
    RedemptionIn,
    RefreshIn,
    ReimbursementForm,
    ReimbursementOut,
    ReimbursementPage,
    ReimbursementQuery,
    ReplayedOut,
    ReportOut,
    ReportQuery,
    ResetIn,
    RetriedOut,
    RunsQueryIn,
    SettlementPreviewOut,
    SettlementRunDetail,
    SettlementRunOut,
    SettlementRunPage,
    SettlementsOut,
    SettlementsQuery,
    StatementOut,
    TokenIn,
    TokenOut,
    TopupIn,
    TopupOut,
    TopupPage,
    TopupsQuery,
    VoucherIn,
    VoucherOut,
    VoucherPage,
    WalletOut,
    WebhookOut,
)

SERVICES = ("catalog", "benefits", "wallet", "notifications")
MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_RECEIPT_BYTES = 5 * 1024 * 1024
RECEIPT_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _amqp_uri() -> str:
    return nameko.config.get("AMQP_URI") or config.amqp_uri()


def own_company(principal: Principal, company_id: str) -> None:
    """Admins see every company; an HR manager only their own."""
    if principal.role != "admin" and principal.company_id != company_id:
        raise NotFound("no such company", {"company_id": ["unknown"]})


def own_provider(principal: Principal, provider_id: str) -> None:
    if principal.role != "admin" and principal.provider_id != provider_id:
        raise NotFound("no such provider", {"provider_id": ["unknown"]})


def _json_ready(body: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO strings: RPC payloads are JSON."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in body.items()}


def _as_response(exc: DomainError) -> tuple[int, Any]:
    response = errors.response_from_exception(exc)
    return response.status_code, json.loads(response.get_data())


class AdminBootstrap(DependencyProvider):
    """Creates the first admin from the environment when the gateway starts."""

    def start(self) -> None:
        from sqlalchemy.orm import sessionmaker

        engine = make_engine("gateway")
        with transaction(sessionmaker(bind=engine)) as session:
            users.ensure_admin(session, env("WECARE_ADMIN_EMAIL"), env("WECARE_ADMIN_PASSWORD"))
        engine.dispose()


class GatewayService:
    name = "gateway"

    db = Database("gateway", Base.metadata)
    admin = AdminBootstrap()
    catalog = TimedServiceRpc("catalog")
    benefits = TimedServiceRpc("benefits", timeout=60)
    wallet = TimedServiceRpc("wallet", timeout=30)
    notifications = TimedServiceRpc("notifications")

    def _once(self, call: Call, action: Any, status: int) -> tuple[int, Any]:
        """Run a money-moving action at most once per caller and key."""
        return idempotency.run_once(
            self.db, caller=call.principal.user_id, key=call.idempotency_key,  # type: ignore
            fingerprint=idempotency.request_hash(call.request.method, call.request.path,
                                                 call.body),
            action=lambda: (status, action()), to_response=_as_response)

    def _downstream_key(self, call: Call) -> str:
        return f"{call.principal.user_id}:{call.idempotency_key}"  # type: ignore[union-attr]

    # -- operations -------------------------------------------------------------
    @api("GET", "/health", response=HealthOut, summary="readiness of every service")
    def health(self, call: Call) -> tuple[int, dict[str, Any]]:
        """Every service asked at once, each with a short deadline (a slow one costs
        its deadline, not the sum)."""
        import eventlet

        def ask(name: str) -> tuple[str, str]:
            try:
                return name, TimedCall(getattr(self, name)).health()["status"]
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                return name, f"unavailable: {type(exc).__name__}"

        report: dict[str, Any] = {"gateway": "ok",
                                  **dict(eventlet.GreenPool(len(SERVICES)).imap(ask, SERVICES))}
        ok = all(v == "ok" for v in report.values())
        return (200 if ok else 503), {"status": "ok" if ok else "degraded", "services": report}

    @http("GET", "/live")
    def live(self, request: Request) -> tuple[int, dict[str, str], str]:
        """Liveness (Kubernetes): the process answers; nothing else is asked."""
        return health.LIVE

    @http("GET", "/ready")
    def ready(self, request: Request) -> tuple[int, dict[str, str], str]:
        """Readiness (Kubernetes): the gateway's own database answers. A service that is
        down fails its own requests (503) and shows in /health; it does not take every
        gateway pod out of the load balancer."""
        return health.probe_response(health.readiness("gateway", self.db))

    @api("GET", "/api/v1/openapi.json", summary="this document")
    def openapi(self, call: Call) -> dict[str, Any]:
        return build_spec(type(self))

    @api("GET", "/api/docs", summary="this API, as a readable page")
    def docs(self, call: Call) -> Response:
        return Response(docs_page(type(self)), mimetype="text/html")

    @timer(interval=3600)
    def purge_idempotency_keys(self) -> None:
        """Keys are kept 48 hours (at least the 24 the contract promises)."""
        idempotency.purge_expired(self.db)

    def _rpc(self, service: str, method: str) -> Any:
        return getattr(getattr(self, service), method)

    @timer(interval=60)
    def finish_signups(self) -> None:
        """Sign-ups whose service was out of reach (or whose gateway died mid-way)."""
        signups.finish_pending(self.db, self._rpc)

    def _sign_up(self, call: Call, kind: str, *, email: str, role: str,
                 password: str | None, service: str, method: str, args: list[Any],
                 kwargs: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """The account recorded first, the service asked with no transaction open, then
        the account linked (signups); a retry with the Idempotency-Key resumes it."""
        principal = call.principal
        body = {k: v for k, v in call.body.items() if k != "password"}
        if isinstance(body.get("hr_manager"), dict):
            body["hr_manager"] = {k: v for k, v in body["hr_manager"].items()
                                  if k != "password"}
        return signups.sign_up(
            self.db, kind=kind, caller=principal.user_id if principal else None,
            key=call.request.headers.get("Idempotency-Key", "").strip()[:200] or None,
            request_hash=signups.fingerprint({"path": call.request.path, "body": body}),
            email=email, role=role, password=password, rpc=self._rpc,
            call={"service": service, "method": method, "args": args, "kwargs": kwargs},
            **extra)

    @api("POST", "/api/v1/auth/token", body=TokenIn, response=TokenOut,
         summary="sign in: a short-lived bearer token")
    def token(self, call: Call) -> dict[str, Any]:
        email, address = call.body["email"].lower(), client_address(call.request)
        limits.check(self.db, limits.LOGIN_PER_ACCOUNT, email)
        limits.check(self.db, limits.LOGIN_PER_ADDRESS, address)
        try:
            principal = users.authenticate(self.db, email, call.body["password"])
        except Unauthenticated:
            # failed attempts count, per account and per client address
            limits.count(self.db, limits.LOGIN_PER_ACCOUNT, email)
            limits.count(self.db, limits.LOGIN_PER_ADDRESS, address)
            raise
        principal, refresh = users.start_session(self.db, principal)
        return {**issue_token(principal), "refresh_token": refresh}

    @api("POST", "/api/v1/auth/password-reset", body=ResetIn, status=202,
         summary="email a one-time link to set a new password (answers the same either way)")
    def request_password_reset(self, call: Call) -> dict[str, Any]:
        address = client_address(call.request)
        limits.check(self.db, limits.RESET_PER_ADDRESS, address)
        limits.count(self.db, limits.RESET_PER_ADDRESS, address)
        user = users.find_by_email(self.db, call.body["email"])
        if user is not None:
            users.send_link(self.db, user, "reset")
            self.db.commit()
        # the same answer whether the account exists or not: no account discovery
        return {"accepted": True}

    @api("POST", "/api/v1/auth/password", body=NewPasswordIn, response=TokenOut,
         summary="set a password with an emailed one-time link's token; signs you in")
    def set_password(self, call: Call) -> dict[str, Any]:
        principal = users.set_password(self.db, call.body["token"], call.body["password"])
        principal, refresh = users.start_session(self.db, principal)
        return {**issue_token(principal), "refresh_token": refresh}

    @api("POST", "/api/v1/companies/<cid>/hr-invitations", roles=("hr",), body=InvitationIn,
         response=InvitationOut, status=201, summary="invite another HR manager by email")
    def invite_hr(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        user = users.create_user(self.db, email=call.body["email"], password=None, role="hr",
                                 company_id=cid)
        users.send_link(self.db, user, "invitation",
                        f"{call.body['first_name']} {call.body['last_name']}")
        self.db.commit()
        return {"id": user.id, "email": user.email, "role": user.role}

    @api("POST", "/api/v1/auth/refresh", body=RefreshIn, response=TokenOut,
         summary="a new access token for a refresh token (which is then spent)")
    def refresh(self, call: Call) -> dict[str, Any]:
        principal, refresh = users.refresh_session(self.db, call.body["refresh_token"])
        return {**issue_token(principal), "refresh_token": refresh}

    @api("POST", "/api/v1/auth/logout", roles=("admin", "hr", "employee", "provider"),
         summary="end this login session: its access and refresh tokens stop working")
    def logout(self, call: Call) -> tuple[int, dict[str, Any]]:
        users.end_session(self.db, call.principal.session_id)  # type: ignore[union-attr]
        return 200, {"logged_out": True}

    @api("GET", "/api/v1/me", roles=("admin", "hr", "employee", "provider"), response=MeOut,
         summary="who is signed in: role, email, and the company or provider they act for")
    def me(self, call: Call) -> dict[str, Any]:
        principal = call.principal
        assert principal is not None
        user = users.get(self.db, principal.user_id)
        provider = (self.catalog.get_provider(principal.provider_id)
                    if principal.provider_id else None)
        return {"user_id": principal.user_id, "email": user.email, "role": principal.role,
                "company_id": principal.company_id, "employee_id": principal.employee_id,
                "provider_id": principal.provider_id, "provider": provider}

    # -- companies and people ---------------------------------------------------
    @api("POST", "/api/v1/companies", roles=("admin",), body=CompanyIn, response=CompanyOut,
         status=201, summary="onboard a company with its HR manager")
    def create_company(self, call: Call) -> dict[str, Any]:
        hr = call.body["hr_manager"]
        company = self._sign_up(
            call, "company", email=hr["email"], role="hr", password=hr["password"],
            email_field="hr_manager.email", service="benefits", method="create_company",
            args=[], kwargs={"name": call.body["name"], "vat_number": call.body["vat_number"],
                             "hr_manager": {k: hr[k] for k in
                                            ("email", "first_name", "last_name")}})
        return {**company, "fund_balance_cents": 0}

    @api("GET", "/api/v1/companies/<cid>", roles=("admin", "hr"), response=CompanyOut,
         summary="a company with its fund balance")
    def get_company(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        company = self.benefits.get_company(cid)
        return {**company, "fund_balance_cents": self.wallet.fund_balance(cid)["balance_cents"]}

    @api("POST", "/api/v1/companies/<cid>/employees", roles=("hr",), body=EmployeeIn,
         response=EmployeeOut, status=201, summary="add an employee")
    def add_employee(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        data = dict(call.body)
        password = data.pop("password")
        # no password given: the employee is invited by email (once enrolled)
        return self._sign_up(call, "employee", email=data["email"], role="employee",
                             password=password, company_id=cid,
                             invite_name=data["first_name"], service="benefits",
                             method="enroll_employee", args=[cid], kwargs=_json_ready(data))

    @api("GET", "/api/v1/companies/<cid>/employees", roles=("hr",), query=EmployeeQuery,
         response=EmployeeTable, summary="the company's employees: as added, a cursor at a "
         "time; or searched (q), filtered and sorted, a page at a time with the total")
    def list_employees(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
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
         summary="send an employee's invitation again (a new link; earlier ones still work "
                 "until they expire)")
    def resend_invitation(self, call: Call, cid: str, eid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        found = self.benefits.list_employees(cid, ids=[eid], limit=1)["items"]
        user = users.of_employee(self.db, eid)
        if not found or user is None or user.company_id != cid:
            raise NotFound("no such employee", {"employee_id": ["unknown"]})
        if found[0]["status"] != "active":
            raise Conflict("this employee has left", {"employee_id": ["left"]})
        if user.password_hash is not None:
            raise Conflict("this employee has already set a password (they can reset it "
                           "from the sign-in page)", {"employee_id": ["already active"]})
        users.send_link(self.db, user, "invitation", found[0]["first_name"])
        self.db.commit()
        return {"employee_id": eid, "email": user.email, "sent": True}

    @api("GET", "/api/v1/companies/<cid>/dashboard", roles=("hr",), query=DashboardQuery,
         response=DashboardOut, summary="the company at a glance: the fund; a year's "
         "top-ups, grants and spending by category and month; credit still held, plan by "
         "plan, with the date each ends")
    def company_dashboard(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        active = self.benefits.list_employees(cid, status="active", limit=1)["total"]
        year = call.query["year"] or date.today().year
        return {**self.wallet.company_dashboard(cid, year), "employees": active}

    @api("POST", "/api/v1/companies/<cid>/employees/import", roles=("hr",),
         body_type="text/csv", max_body_bytes=MAX_CSV_BYTES, response=ImportOut, status=201,
         summary="import employees from CSV: all rows or none, bad rows listed with reasons")
    def import_employees(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        raw = read_raw(call.request, MAX_CSV_BYTES)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("the file is not UTF-8 text", {"_body": [str(exc)]}) from exc
        users.ensure_emails_free(self.db, self.benefits.check_import(cid, text))
        result = self.benefits.import_employees(cid, text)
        users.create_invited(self.db, [(e["email"], e["id"]) for e in result["employees"]],
                             company_id=cid)
        self.db.commit()
        return result

    @api("POST", "/api/v1/companies/<cid>/employees/import/preview", roles=("hr",),
         body_type="text/csv", max_body_bytes=MAX_CSV_BYTES, response=ImportPreviewOut,
         summary="the import's dry run: the rows that would import and every bad row with "
                 "its reasons; writes nothing")
    def preview_import(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        raw = read_raw(call.request, MAX_CSV_BYTES)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("the file is not UTF-8 text", {"_body": [str(exc)]}) from exc
        preview = self.benefits.preview_import(cid, text)
        taken = users.taken_emails(self.db, [e["email"] for e in preview["employees"]])
        if taken:  # an account elsewhere in WeCare (another company, a provider…)
            for row in [e for e in preview["employees"] if e["email"].lower() in taken]:
                preview["errors"][str(row["row"])] = {"email": ["already has an account"]}
                preview["employees"].remove(row)
            preview["errors"] = dict(sorted(preview["errors"].items(), key=lambda r: int(r[0])))
            preview["importable"] = len(preview["employees"])
            preview["valid"] = False
        return preview

    @api("POST", "/api/v1/companies/<cid>/employees/<eid>/departure", roles=("hr",),
         body=EmployeeDeparture, response=EmployeeOut,
         summary="an employee leaves: unspent credit returns to the company fund")
    def employee_departure(self, call: Call, cid: str, eid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        return self.benefits.depart(cid, eid, **_json_ready(call.body))

    # -- money in -------------------------------------------------------------------
    @api("POST", "/api/v1/companies/<cid>/topups", roles=("hr",), body=TopupIn,
         response=TopupOut, status=201, moves_money=True,
         summary="fund the welfare budget by card/SEPA (Stripe) or bank transfer")
    def request_topup(self, call: Call, cid: str) -> tuple[int, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        return self._once(call, lambda: self.wallet.request_topup(
            company_id=cid, idempotency_key=self._downstream_key(call), **call.body), 201)

    @api("GET", "/api/v1/companies/<cid>/funding-options", roles=("hr",),
         response=FundingOptionsOut, summary="how the company may top up: bank transfer, and "
         "card or SEPA Direct Debit (Stripe) with the publishable key when configured")
    def funding_options(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        return self.wallet.funding_options(cid)

    @api("GET", "/api/v1/companies/<cid>/topups", roles=("hr",), query=CompanyTopupsQuery,
         response=CompanyTopupPage,
         summary="the company's top-ups, newest first, each with its state and reference")
    def company_topups(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        return self.wallet.company_topups(cid, **call.query)

    @api("POST", "/api/v1/topups/<tid>/confirmation", roles=("admin",), response=TopupOut,
         summary="mark a bank-transfer top-up as received (once)")
    def confirm_topup(self, call: Call, tid: str) -> dict[str, Any]:
        return self.wallet.confirm_topup(tid)

    # -- plans and grants -------------------------------------------------------------
    @api("POST", "/api/v1/companies/<cid>/plans", roles=("hr",), body=PlanIn,
         response=PlanOut, status=201, summary="create a welfare plan")
    def create_plan(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        return self.benefits.create_plan(cid, **_json_ready(call.body))

    @api("GET", "/api/v1/companies/<cid>/plans", roles=("hr",), response=PlanPage,
         summary="the company's plans, the latest fiscal year first")
    def list_plans(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        return self.benefits.list_plans(cid)

    @api("PATCH", "/api/v1/plans/<pid>", roles=("hr",), body=PlanChangeIn, response=PlanItem,
         summary="change a plan while it runs: name, end date, categories added, target "
         "groups, budget per employee, leftover policy (within the promises already made)")
    def change_plan(self, call: Call, pid: str) -> dict[str, Any]:
        return self.benefits.change_plan(call.principal.company_id,  # type: ignore[union-attr]
                                         pid, **_json_ready(call.body))

    @api("POST", "/api/v1/plans/<pid>/grant-check", roles=("hr",), body=GrantIn,
         response=GrantCheckOut, summary="what a grant would do, checked and not sent: who, "
         "the total, the fund, each person the budget or the bonus rules would refuse")
    def check_grant(self, call: Call, pid: str) -> dict[str, Any]:
        company_id = call.principal.company_id  # type: ignore[union-attr]
        check = self.benefits.grant_preview(company_id, pid, **call.body)
        fund = self.wallet.fund_balance(company_id)["balance_cents"]
        return {**check, "fund_balance_cents": fund,
                "fund_short_cents": max(check["total_cents"] - fund, 0)}

    @api("POST", "/api/v1/plans/<pid>/grants", roles=("hr",), body=GrantIn, response=GrantOut,
         status=201, moves_money=True, summary="grant credits from the company fund")
    def grant_credits(self, call: Call, pid: str) -> tuple[int, Any]:
        return self._once(call, lambda: self.benefits.grant_credits(
            company_id=call.principal.company_id, plan_id=pid,  # type: ignore[union-attr]
            idempotency_key=self._downstream_key(call), **call.body), 201)

    # -- reimbursements ------------------------------------------------------------------
    @api("POST", "/api/v1/me/reimbursements", roles=("employee",), body=ReimbursementForm,
         body_type="multipart/form-data", max_body_bytes=MAX_RECEIPT_BYTES + 64 * 1024,
         response=ReimbursementOut, status=201, moves_money=True,
         summary="ask to be reimbursed, with the receipt: the amount is held at once")
    def request_reimbursement(self, call: Call) -> tuple[int, Any]:
        receipt = call.request.files.get("receipt")
        if receipt is None:
            raise InvalidInput("attach the receipt as the file part `receipt`",
                               {"receipt": ["missing"]})
        content_type = receipt.mimetype
        if content_type not in RECEIPT_TYPES:
            raise InvalidInput("a receipt is a PDF, JPEG or PNG file",
                               {"receipt": [f"{content_type or 'unknown'} is not accepted"]})
        content = receipt.stream.read(MAX_RECEIPT_BYTES + 1)
        if len(content) > MAX_RECEIPT_BYTES:
            raise InvalidInput("the receipt is larger than 5 MiB", {"receipt": ["too large"]})
        form = {k: v for k, v in _json_ready(call.body).items() if k != "receipt"}
        return self._once(call, lambda: self.benefits.request_reimbursement(
            call.principal.employee_id, self._downstream_key(call),  # type: ignore[union-attr]
            receipt_content_type=content_type,
            receipt_base64=base64.b64encode(content).decode(), **form), 201)

    @api("GET", "/api/v1/me/reimbursements", roles=("employee",), query=Page,
         response=ReimbursementPage, summary="your reimbursement requests")
    def my_reimbursements(self, call: Call) -> dict[str, Any]:
        return self.benefits.reimbursements(
            employee_id=call.principal.employee_id, **call.query)  # type: ignore[union-attr]

    @api("GET", "/api/v1/companies/<cid>/reimbursements", roles=("hr",),
         query=ReimbursementQuery, response=ReimbursementPage,
         summary="the company's reimbursement requests (e.g. status=requested)")
    def company_reimbursements(self, call: Call, cid: str) -> dict[str, Any]:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        return self.benefits.reimbursements(company_id=cid, **call.query)

    @api("GET", "/api/v1/companies/<cid>/reimbursements/<rid>/receipt", roles=("hr",),
         summary="a request's receipt as the employee sent it (PDF, JPEG or PNG)")
    def reimbursement_receipt(self, call: Call, cid: str, rid: str) -> Response:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        receipt = self.benefits.reimbursement_receipt(cid, rid)
        inline = receipt["content_type"].startswith("image/")
        return Response(base64.b64decode(receipt["content_base64"]),
                        mimetype=receipt["content_type"], headers={
            "Content-Disposition": f'{"inline" if inline else "attachment"}; '
                                   f'filename="{receipt["filename"]}"',
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox"})

    @api("POST", "/api/v1/reimbursements/<rid>/decision", roles=("hr",), body=DecisionIn,
         response=ReimbursementOut, moves_money=True,
         summary="approve (paid with the next payroll) or reject (the credit returns)")
    def decide_reimbursement(self, call: Call, rid: str) -> tuple[int, Any]:
        return self._once(call, lambda: self.benefits.decide_reimbursement(
            call.principal.company_id, rid, **call.body), 200)  # type: ignore[union-attr]

    @api("GET", "/api/v1/companies/<cid>/reports/fiscal", roles=("hr",), query=ReportQuery,
         response=ReportOut, summary="per employee and category: exempt, fringe, taxable")
    def fiscal_report(self, call: Call, cid: str) -> Any:
        own_company(call.principal, cid)  # type: ignore[arg-type]
        if call.query["format"] == "csv":
            csv_text = self.benefits.fiscal_report(cid, call.query["year"], as_csv=True)
            return Response(csv_text, mimetype="text/csv", headers={
                "Content-Disposition":
                    f'attachment; filename="welfare-{cid}-{call.query["year"]}.csv"'})
        return self.benefits.fiscal_report(cid, call.query["year"])

    # -- the employee's own -------------------------------------------------------------
    @api("GET", "/api/v1/me/wallet", roles=("employee",), response=WalletOut,
         summary="balances per plan, and what expires soon")
    def my_wallet(self, call: Call) -> dict[str, Any]:
        return self.wallet.employee_wallet(call.principal.employee_id)  # type: ignore

    @api("GET", "/api/v1/me/transactions", roles=("employee",), query=Page,
         response=StatementOut, summary="the employee's statement")
    def my_transactions(self, call: Call) -> dict[str, Any]:
        return self.wallet.statement(call.principal.employee_id, **call.query)  # type: ignore

    @api("GET", "/api/v1/me/notifications", roles=("admin", "hr", "employee", "provider"),
         query=Page, response=NotificationPage, summary="the signed-in person's feed")
    def my_notifications(self, call: Call) -> dict[str, Any]:
        return self.notifications.feed(call.principal.recipients, **call.query)  # type: ignore

    @api("POST", "/api/v1/me/notifications/<nid>/read",
         roles=("admin", "hr", "employee", "provider"), summary="mark a notification as read")
    def mark_read(self, call: Call, nid: str) -> tuple[int, dict[str, Any]]:
        self.notifications.mark_read(call.principal.recipients, nid)  # type: ignore[union-attr]
        return 200, {"id": nid, "read": True}

    @api("GET", "/api/v1/me/notification-preferences", roles=("hr", "employee", "provider"),
         response=PreferencesOut, summary="language and which emails you receive")
    def my_preferences(self, call: Call) -> dict[str, Any]:
        return self.notifications.preferences(call.principal.recipients[0])  # type: ignore

    @api("PUT", "/api/v1/me/notification-preferences", roles=("hr", "employee", "provider"),
         body=PreferencesIn, response=PreferencesOut,
         summary="turn non-essential emails off (or on), choose the language")
    def set_my_preferences(self, call: Call) -> dict[str, Any]:
        return self.notifications.set_preferences(
            call.principal.recipients[0], **call.body)  # type: ignore[union-attr]

    @api("GET", "/api/v1/notifications/failed", roles=("admin",), response=FailedEmails,
         summary="emails that failed after every retry")
    def failed_emails(self, call: Call) -> dict[str, Any]:
        return {"items": self.notifications.failed_emails()}

    @api("POST", "/api/v1/notifications/failed/retry", roles=("admin",), response=RetriedOut,
         summary="send the failed emails again")
    def retry_failed_emails(self, call: Call) -> dict[str, Any]:
        return {"sent": self.notifications.retry_failed_emails()}

    # -- providers and the catalogue ------------------------------------------------------
    @api("POST", "/api/v1/providers", body=ProviderIn, response=ProviderOut, status=201,
         summary="a provider applies to join the circuit")
    def apply_provider(self, call: Call) -> dict[str, Any]:
        data = dict(call.body)
        password = data.pop("password")
        return self._sign_up(call, "provider", email=data["email"], role="provider",
                             password=password, service="catalog",
                             method="register_provider", args=[], kwargs=_json_ready(data))

    @api("POST", "/api/v1/providers/<vid>/approval", roles=("admin",), body=ApprovalIn,
         response=ProviderOut, summary="approve (with the commission) or suspend a provider")
    def decide_provider(self, call: Call, vid: str) -> dict[str, Any]:
        return self.catalog.decide(vid, **_json_ready(call.body))

    @api("POST", "/api/v1/providers/<vid>/offerings", roles=("provider",), body=OfferingIn,
         response=OfferingOut, status=201, summary="publish an offering")
    def publish_offering(self, call: Call, vid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)  # type: ignore[arg-type]
        return self.catalog.publish_offering(vid, **_json_ready(call.body))

    @api("PATCH", "/api/v1/providers/<vid>/offerings/<oid>", roles=("provider",),
         body=OfferingPatch, response=OfferingOut, summary="change an offering")
    def update_offering(self, call: Call, vid: str, oid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)  # type: ignore[arg-type]
        return self.catalog.update_offering(vid, oid, **_json_ready(call.body))

    @api("POST", "/api/v1/providers/<vid>/offerings/<oid>/withdrawal", roles=("provider",),
         response=OfferingOut, summary="withdraw an offering from the catalogue")
    def withdraw_offering(self, call: Call, vid: str, oid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)  # type: ignore[arg-type]
        return self.catalog.withdraw_offering(vid, oid)

    @api("GET", "/api/v1/providers/<vid>/offerings", roles=("provider", "admin"),
         response=OfferingList, summary="a provider's offerings, withdrawn ones too")
    def provider_offerings(self, call: Call, vid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)  # type: ignore[arg-type]
        return self.catalog.offerings_of(vid)

    @api("GET", "/api/v1/offerings/<oid>", roles=("admin", "hr", "employee", "provider"),
         response=OfferingDetail, summary="one offering, with its provider's name and place")
    def offering(self, call: Call, oid: str) -> dict[str, Any]:
        return self.catalog.offering_detail(oid)

    @api("GET", "/api/v1/offerings", roles=("admin", "hr", "employee", "provider"),
         query=OfferingSearch, response=OfferingPage,
         summary="search the catalogue: category, Italian text, near a point, price")
    def search_offerings(self, call: Call) -> dict[str, Any]:
        return self.catalog.search(**call.query)

    @api("GET", "/api/v1/circuit", query=CircuitQuery, response=CircuitPage,
         summary="the published list of the circuit's providers, by province and category")
    def circuit(self, call: Call) -> dict[str, Any]:
        return self.catalog.circuit(**call.query)

    @api("POST", "/api/v1/me/provider-proposals", roles=("employee",), body=ProposalIn,
         response=ProposalOut, status=201,
         summary="propose a provider you use: the platform invites it")
    def propose_provider(self, call: Call) -> dict[str, Any]:
        return self.catalog.propose_provider(
            call.principal.employee_id, call.principal.company_id,  # type: ignore[union-attr]
            **call.body)

    @api("GET", "/api/v1/me/provider-proposals", roles=("employee",), response=ProposalPage,
         summary="your proposals, from invitation to approval")
    def my_proposals(self, call: Call) -> dict[str, Any]:
        return self.catalog.proposals_of(call.principal.employee_id)  # type: ignore

    # -- vouchers ------------------------------------------------------------------------------
    @api("POST", "/api/v1/me/vouchers", roles=("employee",), body=VoucherIn,
         response=VoucherOut, status=201, moves_money=True,
         summary="buy a voucher for an offering, at its full price, from one plan")
    def buy_voucher(self, call: Call) -> tuple[int, Any]:
        return self._once(call, lambda: self.wallet.purchase_voucher(
            employee_id=call.principal.employee_id,  # type: ignore[union-attr]
            idempotency_key=self._downstream_key(call), **call.body), 201)

    @api("GET", "/api/v1/me/vouchers", roles=("employee",), query=Page,
         response=VoucherPage, summary="the employee's vouchers")
    def my_vouchers(self, call: Call) -> dict[str, Any]:
        return self.wallet.list_vouchers(call.principal.employee_id, **call.query)  # type: ignore

    @api("GET", "/api/v1/me/vouchers/<voucher_id>", roles=("employee",), response=VoucherOut,
         summary="one of the employee's vouchers")
    def my_voucher(self, call: Call, voucher_id: str) -> dict[str, Any]:
        return self.wallet.get_voucher(call.principal.employee_id, voucher_id)  # type: ignore

    @api("GET", "/api/v1/me/vouchers/<voucher_id>/qr.png", roles=("employee",),
         summary="the voucher's code as a QR image, to show at the provider")
    def voucher_qr(self, call: Call, voucher_id: str) -> Response:
        png = base64.b64decode(self.wallet.voucher_qr(
            call.principal.employee_id, voucher_id))  # type: ignore[union-attr]
        return Response(png, mimetype="image/png",
                        headers={"Cache-Control": "private, max-age=3600"})

    @api("POST", "/api/v1/me/vouchers/<voucher_id>/cancellation", roles=("employee",),
         response=VoucherOut, summary="cancel an unredeemed voucher: the credit returns")
    def cancel_voucher(self, call: Call, voucher_id: str) -> dict[str, Any]:
        return self.wallet.cancel_voucher(call.principal.employee_id, voucher_id)  # type: ignore

    @api("POST", "/api/v1/providers/<vid>/redemptions", roles=("provider",),
         body=RedemptionIn, response=VoucherOut, moves_money=True,
         summary="redeem a voucher by its code (once)")
    def redeem_voucher(self, call: Call, vid: str) -> tuple[int, Any]:
        own_provider(call.principal, vid)  # type: ignore[arg-type]
        limits.check(self.db, limits.REDEEM_FAILURES, vid)

        def redeem() -> dict[str, Any]:
            try:
                return self.wallet.redeem_voucher(provider_id=vid, code=call.body["code"])
            except NotFound:
                limits.count(self.db, limits.REDEEM_FAILURES, vid)  # a wrong code: a guess
                raise
        return self._once(call, redeem, 200)

    @api("GET", "/api/v1/providers/<vid>/settlements", roles=("provider", "admin"),
         query=SettlementsQuery, response=SettlementsOut,
         summary="what the provider is owed, its payouts, its redeemed vouchers and the "
                 "commission on each")
    def provider_settlements(self, call: Call, vid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)  # type: ignore[arg-type]
        return self.wallet.provider_statement(vid, **_json_ready(call.query))

    @api("POST", "/api/v1/settlements", roles=("admin",), response=SettlementRunOut,
         status=201, moves_money=True, summary="pay providers what they are owed (once per key)")
    def run_settlement(self, call: Call) -> tuple[int, Any]:
        return self._once(call, lambda: self.wallet.run_settlement(
            idempotency_key=self._downstream_key(call)), 201)

    @api("POST", "/api/v1/webhooks/stripe", response=WebhookOut,
         summary="Stripe payment events (signed with the webhook secret)")
    def stripe_webhook(self, call: Call) -> dict[str, Any]:
        payload = read_raw(call.request)
        return self.wallet.handle_stripe_webhook(
            payload.decode("utf-8", "replace"), call.request.headers.get("Stripe-Signature"))

    # -- operators ---------------------------------------------------------------------------
    @api("GET", "/api/v1/ledger/audit", roles=("admin",), response=AuditOut,
         summary="recompute the ledger and check its invariants")
    def ledger_audit(self, call: Call) -> dict[str, Any]:
        return self.wallet.audit()

    @api("GET", "/api/v1/providers", roles=("admin",), query=ProvidersQuery,
         response=ProviderPage, summary="providers by state: applications waiting "
         "(pending), the circuit (approved), suspended; oldest first")
    def list_providers(self, call: Call) -> dict[str, Any]:
        return self.catalog.list_providers(**call.query)

    @api("GET", "/api/v1/topups", roles=("admin",), query=TopupsQuery, response=TopupPage,
         summary="top-ups by state, oldest first: bank transfers waiting to be confirmed")
    def list_topups(self, call: Call) -> dict[str, Any]:
        page = self.wallet.list_topups(**call.query)
        names: dict[str, str | None] = {}
        for company_id in {t["company_id"] for t in page["items"]}:
            try:
                names[company_id] = self.benefits.get_company(company_id)["name"]
            except NotFound:
                names[company_id] = None
        for topup in page["items"]:
            topup["company_name"] = names[topup["company_id"]]
        return page

    @api("GET", "/api/v1/settlements/preview", roles=("admin",), response=SettlementPreviewOut,
         summary="what a settlement run would pay now, per provider: gross, commission, net")
    def settlement_preview(self, call: Call) -> dict[str, Any]:
        return self.wallet.settlement_preview()

    @api("GET", "/api/v1/settlements", roles=("admin",), query=RunsQueryIn,
         response=SettlementRunPage, summary="settlement runs, newest first")
    def settlement_runs(self, call: Call) -> dict[str, Any]:
        return self.wallet.settlement_runs(**call.query)

    @api("GET", "/api/v1/settlements/<sid>", roles=("admin",), response=SettlementRunDetail,
         summary="one settlement run and its payouts")
    def settlement_run(self, call: Call, sid: str) -> dict[str, Any]:
        return self.wallet.settlement_run(sid)

    @api("GET", "/api/v1/settlements/<sid>/sepa.xml", roles=("admin",),
         summary="the run's SEPA credit transfer file (pain.001.001.03) for the bank")
    def settlement_sepa(self, call: Call, sid: str) -> Response:
        xml = self.wallet.settlement_sepa(sid)
        return Response(xml, mimetype="application/xml", headers={
            "Content-Disposition": f'attachment; filename="wecare-settlement-{sid[:8]}.xml"',
            "Cache-Control": "no-store"})

    @api("GET", "/api/v1/dead-letters", roles=("admin",), query=DeadLettersQuery,
         response=DeadLettersOut, summary="events parked after every try, with the reason")
    def dead_letters(self, call: Call) -> dict[str, Any]:
        # infrastructure, not another service's data: the broker's parking queue
        items = []
        for m in dlq.list_parked(_amqp_uri(), call.query["limit"]):
            body = m["body"] if isinstance(m["body"], dict) else {}
            items.append({**m, "event_id": body.get("id") or m.get("message_id"),
                          "event_type": body.get("type"), "producer": body.get("producer"),
                          "occurred_at": body.get("occurred_at")})
        return {"items": items}

    @api("POST", "/api/v1/dead-letters/<mid>/replay", roles=("admin",), response=ReplayedOut,
         summary="send a parked event back to the consumer it failed in (once)")
    def replay_dead_letter(self, call: Call, mid: str) -> dict[str, Any]:
        if not dlq.replay_one(_amqp_uri(), mid):
            raise NotFound("no such message is parked (replayed already?)",
                           {"id": ["not parked"]})
        return {"id": mid, "replayed": True}

    # -- the law, published ------------------------------------------------------------------
    # Public: the figures are the law's, hold nothing of any company or person, and
    # are what people weigh before they sign in (as the circuit is public too).
    @api("GET", "/api/v1/fiscal-rules", query=FiscalRulesQuery, response=FiscalRulesOut,
         summary="a fiscal year's welfare rules, each figure with its legal basis (read-only)")
    def fiscal_rules(self, call: Call) -> Response:
        rules = self.benefits.fiscal_rules(call.query["year"])
        return errors.json_response(200, rules, {"Cache-Control": "public, max-age=3600"})

    # -- pages: everything that is not the API goes on to the web app ----------------------
    @http("GET,POST,HEAD", "/")
    def front_page(self, request: Request) -> Response:
        return pages.forward(request)

    @http("GET,POST,HEAD", "/<path:path>")
    def any_page(self, request: Request, path: str) -> Response:
        return pages.forward(request)


class TimedCall:
    """Health probes use a short deadline whatever the dependency's own."""

    def __init__(self, service: Any, timeout: float = 3.0) -> None:
        self.service = service
        self.timeout = timeout

    def health(self) -> dict[str, Any]:
        import eventlet

        try:
            with eventlet.Timeout(self.timeout):
                return self.service.health()
        except eventlet.Timeout as exc:
            raise ServiceUnavailable("no answer") from exc

