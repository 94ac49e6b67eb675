"""The platform operator's routes: onboarding companies, approving providers,
confirming bank transfers, settlement runs, the ledger audit, parked events and
failed emails."""

from __future__ import annotations

from typing import Any

import nameko
from wecare_common import config, dlq
from wecare_common.contract import refusals
from wecare_common.contract.catalog import Approval, ProvidersRequest
from wecare_common.contract.responses import (
    AccountOut,
    AccountPage,
    AuditOut,
    CompanyOut,
    DeadLettersOut,
    FailedEmails,
    NetworkOut,
    NetworkPage,
    ProviderOut,
    ProviderPage,
    ReplayedOut,
    RetriedOut,
    SettlementPreviewOut,
    SettlementRunDetail,
    SettlementRunOut,
    SettlementRunPage,
    TopupOut,
    TopupPage,
)
from wecare_common.contract.wallet import RunsQuery
from wecare_common.errors import NotFound
from wecare_common.schemas import PageSchema
from werkzeug.wrappers import Response

from gateway import access
from gateway.models import User
from gateway.rooms.base import Room, json_ready
from gateway.routing import SignedInCall, api
from gateway.schemas import (
    AccessIn,
    AccountsQuery,
    CompanyIn,
    DeadLettersQuery,
    NetworkIn,
    TopupsQuery,
)


def _amqp_uri() -> str:
    return nameko.config.get("AMQP_URI") or config.amqp_uri()



class AdminRoom(Room):
    @api("POST", "/api/v1/companies", roles=("admin",), body=CompanyIn, response=CompanyOut,
         status=201, summary="onboard a company with its HR manager")
    def create_company(self, call: SignedInCall) -> dict[str, Any]:
        hr = call.body["hr_manager"]
        company = self._sign_up(
            call, "company", email=hr["email"], role="hr", password=hr["password"],
            email_field="hr_manager.email", service="benefits", method="create_company",
            args=[], kwargs={"name": call.body["name"], "vat_number": call.body["vat_number"],
                             "hr_manager": {k: hr[k] for k in
                                            ("email", "first_name", "last_name")}})
        return {**company, "fund_balance_cents": 0}

    @api("POST", "/api/v1/networks", roles=("admin",), body=NetworkIn, response=NetworkOut,
         status=201, summary="create a network of firms (an association, a consortium or a "
         "network contract) with its first staff member")
    def create_network(self, call: SignedInCall) -> dict[str, Any]:
        staff = call.body["staff"]
        return self._sign_up(
            call, "network", email=staff["email"], role="network", password=staff["password"],
            email_field="staff.email", invite_name=staff["first_name"], service="benefits",
            method="create_network", args=[],
            kwargs={k: call.body[k] for k in ("name", "kind", "tax_id", "territory")})

    @api("GET", "/api/v1/networks", roles=("admin",), query=PageSchema, response=NetworkPage,
         summary="the networks, oldest first")
    def list_networks(self, call: SignedInCall) -> dict[str, Any]:
        return self.benefits.list_networks(**call.query)
    @api("GET", "/api/v1/accounts", roles=("admin",), query=AccountsQuery,
         response=AccountPage, summary="accounts whose email contains the text given (up to "
         "50), with their role and state")
    def find_accounts(self, call: SignedInCall) -> dict[str, Any]:
        found = access.find(self.db, call.query["email"])
        return {"items": [access.account_view(u) for u in found], "next_cursor": None}

    @api("POST", "/api/v1/accounts/<uid>/access", roles=("admin",), body=AccessIn,
         response=AccountOut, summary="disable any account (every session ends at once; "
         "not your own) or enable it again")
    def set_account_access(self, call: SignedInCall, uid: str) -> dict[str, Any]:
        user = self.db.get(User, uid)
        if user is None:
            raise NotFound("no such account", {"user_id": ["unknown"]})
        if call.body["enabled"]:
            access.enable(self.db, user)
        else:
            access.disable(self.db, user, by=call.principal.user_id, reason=access.DISABLED)
        return access.account_view(user)

    @api("POST", "/api/v1/providers/<vid>/approval", roles=("admin",), body=Approval,
         response=ProviderOut, summary="approve (with the commission) or suspend a provider")
    def decide_provider(self, call: SignedInCall, vid: str) -> dict[str, Any]:
        return self.catalog.decide(vid, **json_ready(call.body))

    @api("GET", "/api/v1/providers", roles=("admin",), query=ProvidersRequest,
         response=ProviderPage, summary="providers by state: applications waiting "
         "(pending), the circuit (approved), suspended (with what each is still owed and "
         "the redemptions refused since), the circuit's and the suspended with the "
         "vouchers their phones accepted offline after they were redeemed; oldest first")
    def list_providers(self, call: SignedInCall) -> dict[str, Any]:
        page = self.catalog.list_providers(**call.query)
        if call.query.get("status") in ("suspended", "approved") and page["items"]:
            standing = self.wallet.provider_standing([p["id"] for p in page["items"]])
            for provider in page["items"]:
                provider.update(standing.get(provider["id"], {}))
        return page

    @api("POST", "/api/v1/topups/<tid>/confirmation", roles=("admin",), response=TopupOut,
         summary="mark a bank-transfer top-up as received (once)")
    def confirm_topup(self, call: SignedInCall, tid: str) -> dict[str, Any]:
        return self.wallet.confirm_topup(tid)

    @api("GET", "/api/v1/topups", roles=("admin",), query=TopupsQuery, response=TopupPage,
         summary="top-ups by state, oldest first: bank transfers waiting to be confirmed")
    def list_topups(self, call: SignedInCall) -> dict[str, Any]:
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

    @api("POST", "/api/v1/settlements", roles=("admin",), response=SettlementRunOut,
         status=201, moves_money=True, summary="pay providers what they are owed (once per key)")
    def run_settlement(self, call: SignedInCall) -> tuple[int, Any]:
        return self._once(call, lambda: self.wallet.run_settlement(
            idempotency_key=self._downstream_key(call)), 201)

    @api("GET", "/api/v1/settlements/preview", roles=("admin",), response=SettlementPreviewOut,
         summary="what a settlement run would pay now, per provider: gross, commission, net")
    def settlement_preview(self, call: SignedInCall) -> dict[str, Any]:
        return self.wallet.settlement_preview()

    @api("GET", "/api/v1/settlements", roles=("admin",), query=RunsQuery,
         response=SettlementRunPage, summary="settlement runs, newest first")
    def settlement_runs(self, call: SignedInCall) -> dict[str, Any]:
        return self.wallet.settlement_runs(**call.query)

    @api("GET", "/api/v1/settlements/<sid>", roles=("admin",), response=SettlementRunDetail,
         summary="one settlement run and its payouts")
    def settlement_run(self, call: SignedInCall, sid: str) -> dict[str, Any]:
        return self.wallet.settlement_run(sid)

    @api("GET", "/api/v1/settlements/<sid>/sepa.xml", roles=("admin",),
         summary="the run's SEPA credit transfer file (pain.001.001.03) for the bank")
    def settlement_sepa(self, call: SignedInCall, sid: str) -> Response:
        xml = self.wallet.settlement_sepa(sid)
        return Response(xml, mimetype="application/xml", headers={
            "Content-Disposition": f'attachment; filename="wecare-settlement-{sid[:8]}.xml"',
            "Cache-Control": "no-store"})

    @api("GET", "/api/v1/ledger/audit", roles=("admin",), response=AuditOut,
         summary="recompute the ledger and check its invariants")
    def ledger_audit(self, call: SignedInCall) -> dict[str, Any]:
        return self.wallet.audit()

    @api("GET", "/api/v1/dead-letters", roles=("admin",), query=DeadLettersQuery,
         response=DeadLettersOut, summary="events parked after every try, with the reason")
    def dead_letters(self, call: SignedInCall) -> dict[str, Any]:
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
    def replay_dead_letter(self, call: SignedInCall, mid: str) -> dict[str, Any]:
        if not dlq.replay_one(_amqp_uri(), mid):
            raise refusals.MESSAGE_NOT_PARKED(field="id")
        return {"id": mid, "replayed": True}

    @api("GET", "/api/v1/notifications/failed", roles=("admin",), response=FailedEmails,
         summary="emails that failed after every retry")
    def failed_emails(self, call: SignedInCall) -> dict[str, Any]:
        return {"items": self.notifications.failed_emails()}

    @api("POST", "/api/v1/notifications/failed/retry", roles=("admin",), response=RetriedOut,
         summary="send the failed emails again")
    def retry_failed_emails(self, call: SignedInCall) -> dict[str, Any]:
        return {"sent": self.notifications.retry_failed_emails()}
