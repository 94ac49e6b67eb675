"""A network's staff (role `network`): its members, its shared plans, its circuit and
agreements, its figures and its report for funders — totals only, never a person
(docs/domain.md#networks). Every network id is checked against the caller's
(`own_network`); a member firm's own pages stay its HR's."""

from __future__ import annotations

from datetime import date
from typing import Any

from wecare_common.contract.benefits import (
    MemberInvitation,
    MemberOnboarding,
    NetworkYear,
    SharedPlanRequest,
)
from wecare_common.contract.catalog import (
    AgreementRequest,
    NetworkProviderDecision,
    NetworkProvidersRequest,
)
from wecare_common.contract.responses import (
    AgreementOut,
    AgreementPage,
    CompanyOut,
    InvitationOut,
    MemberOut,
    MemberPage,
    NetworkDashboardOut,
    NetworkOut,
    NetworkReportOut,
    NetworkSharedPlanOut,
    NetworkSharedPlanPage,
    TerritoryProviderOut,
    TerritoryProviderPage,
)
from werkzeug.wrappers import Response

from gateway import users
from gateway.rooms.base import Room, json_ready, own_network, request_language
from gateway.routing import SignedInCall, api
from gateway.schemas import InvitationIn, MembersQuery, NetworkReportQuery

STAFF = ("network",)


class NetworkRoom(Room):
    def _network(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        return self.benefits.get_network(netid)

    @api("GET", "/api/v1/networks/<netid>", roles=("admin", "network"), response=NetworkOut,
         summary="a network: its kind, tax code and territory")
    def get_network(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        return self._network(call, netid)

    @api("POST", "/api/v1/networks/<netid>/staff-invitations", roles=STAFF, body=InvitationIn,
         response=InvitationOut, status=201,
         summary="invite a colleague to the network's staff by email")
    def invite_staff(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        user = users.create_user(self.db, email=call.body["email"], password=None,
                                 role="network", network_id=netid)
        users.send_link(self.db, user, "invitation",
                        f"{call.body['first_name']} {call.body['last_name']}",
                        language=request_language(call))
        self.db.commit()
        return {"id": user.id, "email": user.email, "role": user.role}

    # -- members ------------------------------------------------------------------------
    @api("GET", "/api/v1/networks/<netid>/members", roles=STAFF, query=MembersQuery,
         response=MemberPage, summary="the network's firms: invited, members, past members "
         "(the firms, never their people)")
    def members(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        return self.benefits.network_members(netid, call.query["status"])

    @api("POST", "/api/v1/networks/<netid>/invitations", roles=STAFF, body=MemberInvitation,
         response=MemberOut, status=201, summary="invite a firm already in WeCare (by its "
         "VAT number) to join: its HR manager accepts or declines")
    def invite_member(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        return self.benefits.invite_company(netid, **call.body)

    @api("POST", "/api/v1/networks/<netid>/invitations/<iid>/withdrawal", roles=STAFF,
         response=MemberOut, summary="withdraw an invitation not answered yet")
    def withdraw_invitation(self, call: SignedInCall, netid: str, iid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        return self.benefits.withdraw_invitation(netid, iid)

    @api("POST", "/api/v1/networks/<netid>/companies", roles=STAFF, body=MemberOnboarding,
         response=CompanyOut, status=201, summary="bring a new firm into WeCare: the "
         "company, its HR manager invited by email, and the network's invitation for them "
         "to accept")
    def onboard_member(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        hr = call.body["hr_manager"]
        return self._sign_up(call, "company", email=hr["email"], role="hr", password=None,
                             email_field="hr_manager.email", invite_name=hr["first_name"],
                             service="benefits", method="onboard_company", args=[netid],
                             kwargs=json_ready(call.body))

    # -- shared plans -------------------------------------------------------------------
    @api("GET", "/api/v1/networks/<netid>/shared-plans", roles=STAFF,
         response=NetworkSharedPlanPage,
         summary="the network's shared plans, each with the member firms that adopted it")
    def shared_plans(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        return self.benefits.network_shared_plans(netid)

    @api("POST", "/api/v1/networks/<netid>/shared-plans", roles=STAFF, body=SharedPlanRequest,
         response=NetworkSharedPlanOut, status=201, summary="propose a shared plan: each "
         "member adopts it with one action, funded from its own fund")
    def propose_shared_plan(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        return self.benefits.propose_shared_plan(netid, **json_ready(call.body))

    @api("POST", "/api/v1/networks/<netid>/shared-plans/<spid>/withdrawal", roles=STAFF,
         response=NetworkSharedPlanOut, summary="no further member may adopt it (plans "
         "adopted stay their firms')")
    def withdraw_shared_plan(self, call: SignedInCall, netid: str, spid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        return {**self.benefits.withdraw_shared_plan(netid, spid), "adopted_by": []}

    # -- the circuit -----------------------------------------------------------------------
    @api("GET", "/api/v1/networks/<netid>/providers", roles=STAFF, query=NetworkProvidersRequest,
         response=TerritoryProviderPage, summary="the circuit's providers in the network's "
         "territory, each with the network's own approval")
    def territory_providers(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        network = self._network(call, netid)
        return self.catalog.territory_providers(netid, network["territory"], **call.query)

    @api("POST", "/api/v1/networks/<netid>/providers/<vid>/approval", roles=STAFF,
         body=NetworkProviderDecision, response=TerritoryProviderOut, summary="approve a provider "
         "of the territory for the network's members (beside the operators' approval), or "
         "withdraw it (its agreements end)")
    def approve_provider(self, call: SignedInCall, netid: str, vid: str) -> dict[str, Any]:
        network = self._network(call, netid)
        return self.catalog.decide_network_provider(netid, vid, network["territory"],
                                                    **call.body)

    @api("GET", "/api/v1/networks/<netid>/agreements", roles=STAFF, response=AgreementPage,
         summary="the network's agreements with providers, newest first")
    def agreements(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        return self.catalog.network_agreements(netid)

    @api("POST", "/api/v1/networks/<netid>/agreements", roles=STAFF, body=AgreementRequest,
         response=AgreementOut, status=201, summary="propose a price or a discount on an "
         "offering for the members' employees: in force once the provider accepts")
    def propose_agreement(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        network = self._network(call, netid)
        return self.catalog.propose_agreement(netid, network["name"], **json_ready(call.body))

    @api("POST", "/api/v1/networks/<netid>/agreements/<aid>/ending", roles=STAFF,
         response=AgreementOut, summary="withdraw a proposal, or end an agreement in force")
    def end_agreement(self, call: SignedInCall, netid: str, aid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        return self.catalog.end_agreement(netid, aid)

    # -- figures ------------------------------------------------------------------------
    @api("GET", "/api/v1/networks/<netid>/dashboard", roles=STAFF, query=NetworkYear,
         response=NetworkDashboardOut, summary="the members' figures of a year, as totals "
         "only: budget, granted, spent by category, month, firm and shared plan; no "
         "figure about fewer than five people")
    def dashboard(self, call: SignedInCall, netid: str) -> dict[str, Any]:
        own_network(call.principal, netid)
        return self.benefits.network_dashboard(netid, call.query["year"] or date.today().year)

    @api("GET", "/api/v1/networks/<netid>/reports/yearly", roles=STAFF,
         query=NetworkReportQuery, response=NetworkReportOut, summary="the yearly report "
         "for funders (JSON or CSV): member firms, employees covered, credit granted and "
         "spent per category and municipality, providers used; no cell under five people")
    def yearly_report(self, call: SignedInCall, netid: str) -> Any:
        own_network(call.principal, netid)
        year = call.query["year"]
        if call.query["format"] == "csv":
            text = self.benefits.network_report(netid, year, as_csv=True)
            return Response(text, mimetype="text/csv", headers={
                "Content-Disposition": f'attachment; filename="rete-{netid[:8]}-{year}.csv"'})
        return self.benefits.network_report(netid, year)
