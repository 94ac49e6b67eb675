"""The provider's routes: applying to the circuit, offerings, redeeming vouchers, what
it is owed. Every provider id is checked against the caller's (`own_provider`)."""

from __future__ import annotations

from typing import Any

from wecare_common.contract import refusals
from wecare_common.contract.catalog import AgreementAnswer, OfferingRequest, OfferingUpdate
from wecare_common.contract.responses import (
    AgreementOut,
    AgreementPage,
    OfferingList,
    OfferingOut,
    OfflineDuplicatesOut,
    OfflineLimitsOut,
    OfflineRedemptionsOut,
    ProviderOut,
    SettlementsOut,
    TokenOut,
    VoucherOut,
)
from wecare_common.contract.wallet import (
    OfflineLimitsFields,
    OfflineRedemptionsFields,
    RedemptionFields,
    StatementQuery,
)
from wecare_common.errors import NotFound

from gateway import limits, signups, users
from gateway.auth import issue_token
from gateway.clients import client_address
from gateway.rooms.base import Room, json_ready, own_provider, request_language
from gateway.routing import Call, SignedInCall, api
from gateway.schemas import ConfirmationIn, ProviderIn


class ProviderRoom(Room):
    @api("POST", "/api/v1/providers", body=ProviderIn, status=202,
         summary="a provider applies to join the circuit: answered the same way whether or "
         "not the email is known; the email given gets the link that confirms it (or word "
         "that it has an account already)")
    def apply_provider(self, call: Call) -> dict[str, Any]:
        # a few an hour from one client address: each may email an address typed here
        limits.take(self.db, limits.APPLICATIONS_PER_ADDRESS, client_address(call.request))
        data = dict(call.body)
        password = data.pop("password")
        request_hash = signups.fingerprint({"path": call.request.path, "body": data})
        # the applicant's language: its emails, now and once it is a provider, are in it
        data["language"] = request_language(call)
        signups.apply(
            self.db, key=call.request.headers.get("Idempotency-Key", "").strip() or None,
            request_hash=request_hash, email=data["email"], password=password,
            call={"service": "catalog", "method": "register_provider", "args": [],
                  "kwargs": json_ready(data)},
            name=data["name"], vat_number=data["vat_number"], language=data["language"])
        return {"accepted": True}

    @api("POST", "/api/v1/providers/enrolment", roles=("admin",), body=ProviderIn,
         response=ProviderOut, status=201, summary="an operator enrols a provider it knows "
         "(met in person, the demo): no confirmation by email, the operator answers for the "
         "address; waiting for approval as an application is")
    def enrol_provider(self, call: SignedInCall) -> dict[str, Any]:
        data = dict(call.body)
        password = data.pop("password")
        return self._sign_up(call, "provider", email=data["email"], role="provider",
                             password=password, service="catalog",
                             method="register_provider", args=[], kwargs=json_ready(data))

    @api("POST", "/api/v1/providers/confirmation", body=ConfirmationIn, response=TokenOut,
         summary="confirm a provider's application with its emailed one-time link's "
         "token: the application goes to the operators and you are signed in")
    def confirm_application(self, call: Call) -> dict[str, Any]:
        user = signups.confirm(self.db, call.body["token"], self._rpc)
        principal, refresh = users.start_session(self.db, users.principal_of(user))
        return {**issue_token(principal), "refresh_token": refresh}

    @api("POST", "/api/v1/providers/<vid>/offerings", roles=("provider",), body=OfferingRequest,
         response=OfferingOut, status=201, summary="publish an offering")
    def publish_offering(self, call: SignedInCall, vid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)
        return self.catalog.publish_offering(vid, **json_ready(call.body))

    @api("PATCH", "/api/v1/providers/<vid>/offerings/<oid>", roles=("provider",),
         body=OfferingUpdate, response=OfferingOut, summary="change an offering")
    def update_offering(self, call: SignedInCall, vid: str, oid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)
        return self.catalog.update_offering(vid, oid, **json_ready(call.body))

    @api("POST", "/api/v1/providers/<vid>/offerings/<oid>/withdrawal", roles=("provider",),
         response=OfferingOut, summary="withdraw an offering from the catalogue")
    def withdraw_offering(self, call: SignedInCall, vid: str, oid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)
        return self.catalog.withdraw_offering(vid, oid)

    @api("GET", "/api/v1/providers/<vid>/offerings", roles=("provider", "admin"),
         response=OfferingList, summary="a provider's offerings, withdrawn ones too")
    def provider_offerings(self, call: SignedInCall, vid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)
        return self.catalog.offerings_of(vid)

    @api("POST", "/api/v1/providers/<vid>/redemptions", roles=("provider",),
         body=RedemptionFields, response=VoucherOut, moves_money=True,
         summary="redeem a voucher by its code (once)")
    def redeem_voucher(self, call: SignedInCall, vid: str) -> tuple[int, Any]:
        own_provider(call.principal, vid)
        limits.check(self.db, limits.REDEEM_FAILURES, vid)

        def redeem() -> dict[str, Any]:
            try:
                return self.wallet.redeem_voucher(provider_id=vid, code=call.body["code"])
            except NotFound:
                limits.count(self.db, limits.REDEEM_FAILURES, vid)  # a wrong code: a guess
                raise
        return self._once(call, redeem, 200)

    # -- without a network (docs/offline.md) ---------------------------------------------
    @api("GET", "/api/v1/providers/<vid>/offline-limits", roles=("provider", "admin"),
         response=OfflineLimitsOut, summary="what the provider's phone may accept without a "
         "network: per voucher, in all waiting to be sent, and for how many hours")
    def offline_limits(self, call: SignedInCall, vid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)
        return self.wallet.offline_limits(vid)

    @api("PUT", "/api/v1/providers/<vid>/offline-limits", roles=("admin",),
         body=OfflineLimitsFields, response=OfflineLimitsOut,
         summary="set what the provider's phone may accept without a network (operators)")
    def set_offline_limits(self, call: SignedInCall, vid: str) -> dict[str, Any]:
        self.catalog.get_provider(vid)  # an unknown provider: not found
        return self.wallet.set_offline_limits(provider_id=vid, **call.body)

    @api("POST", "/api/v1/provider/redemptions/offline", roles=("provider",),
         body=OfflineRedemptionsFields, response=OfflineRedemptionsOut, moves_money=True,
         summary="what the provider's phone accepted without a network, sent when the "
                 "network returns: per item recorded, already_redeemed_by_you (paid once) "
                 "or refused with its code")
    def redeem_offline(self, call: SignedInCall) -> tuple[int, Any]:
        provider_id = call.principal.provider_id
        if not provider_id:
            raise refusals.PROVIDER_UNKNOWN(field="provider_id")
        items = [{**item, "accepted_at": item["accepted_at"].isoformat()}
                 for item in call.body["items"]]
        return self._once(call, lambda: self.wallet.redeem_offline(
            provider_id=provider_id, items=items), 200)

    @api("GET", "/api/v1/providers/<vid>/offline-duplicates", roles=("provider", "admin"),
         response=OfflineDuplicatesOut, summary="vouchers the provider's phones accepted "
         "offline after they were redeemed (paid once), newest first (up to 100)")
    def offline_duplicates(self, call: SignedInCall, vid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)
        return self.wallet.offline_duplicates(vid)

    @api("GET", "/api/v1/providers/<vid>/settlements", roles=("provider", "admin"),
         query=StatementQuery, response=SettlementsOut,
         summary="what the provider is owed, its payouts, its redeemed vouchers and the "
                 "commission on each")
    def provider_settlements(self, call: SignedInCall, vid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)
        return self.wallet.provider_statement(vid, **json_ready(call.query))

    # -- networks' agreements (docs/domain.md#agreements-and-prices) -----------------------
    @api("GET", "/api/v1/providers/<vid>/agreements", roles=("provider",),
         response=AgreementPage, summary="networks' agreements on the provider's prices: "
         "proposed, in force, ended")
    def provider_agreements(self, call: SignedInCall, vid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)
        return self.catalog.provider_agreements(vid)

    @api("POST", "/api/v1/providers/<vid>/agreements/<aid>/answer", roles=("provider",),
         body=AgreementAnswer, response=AgreementOut, summary="accept a network's "
         "proposed price (in force for its members' employees), decline it, or end one in "
         "force")
    def answer_agreement(self, call: SignedInCall, vid: str, aid: str) -> dict[str, Any]:
        own_provider(call.principal, vid)
        return self.catalog.answer_agreement(vid, aid, **call.body)
