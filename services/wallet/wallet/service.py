"""The wallet's entrypoints: thin, each validates then calls the domain."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from nameko.timer import timer
from sqlalchemy.exc import IntegrityError

# a module, not the class: `nameko run` would take every class it finds here
from wecare_common import health, metrics, signed_vouchers
from wecare_common.consumer import handle_event
from wecare_common.contract import events
from wecare_common.db import Database
from wecare_common.errors import Forbidden
from wecare_common.inbox import first_delivery
from wecare_common.memory import SettledMemory
from wecare_common.rpc import TimedServiceRpc, rpc
from wecare_common.schemas import PageSchema, load

from wallet import (
    copies,
    dashboard,
    expiry,
    funding,
    ledger,
    network_figures,
    offline,
    operations,
    reimbursements,
    settlement,
    usage,
    vouchers,
)
from wallet.models import Base, inbox
from wallet.schemas import (
    CompanyTopupQuery,
    GrantRequest,
    HoldRequest,
    NetworkFiguresRequest,
    OfflineLimitsRequest,
    OfflineRedemptionsRequest,
    PurchaseRequest,
    RedemptionRequest,
    RunsQuery,
    StatementQuery,
    TopupQuery,
    TopupRequest,
)
from wallet.stripe_gateway import StripeGateway


def _retry_on_race(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run once more when a concurrent request with the same key won the insert."""
    try:
        return fn(*args, **kwargs)
    except IntegrityError:
        args[0].rollback()
        return fn(*args, **kwargs)


class WalletService(health.HealthEntrypoints):
    name = "wallet"
    memory = SettledMemory()  # startup's objects out of the collector's walks

    db = Database("wallet", Base.metadata)
    stripe = StripeGateway()
    benefits = TimedServiceRpc("benefits")
    catalog = TimedServiceRpc("catalog")  # a purchase its copy of the catalogue lags behind

    # -- money in ---------------------------------------------------------------
    @rpc
    def request_topup(self, **data: Any) -> dict[str, Any]:
        req = load(TopupRequest, data)
        intent = None
        if req["method"] == "card":
            intent = self.stripe.create_payment_intent(
                req["company_id"], req["amount_cents"], req["idempotency_key"])
        result = _retry_on_race(funding.request_topup, self.db, **req, payment_intent=intent)
        self.db.commit()
        return result

    @rpc
    def funding_options(self, company_id: str) -> dict[str, Any]:
        """The same for every company today; asked per company for when it is not."""
        return self.stripe.funding_options()

    @rpc
    def company_topups(self, company_id: str, **page: Any) -> dict[str, Any]:
        return dashboard.company_topups(self.db, company_id, **load(CompanyTopupQuery, page))

    @rpc
    def company_dashboard(self, company_id: str, year: int) -> dict[str, Any]:
        return dashboard.company_dashboard(self.db, company_id, int(year))

    @rpc
    def confirm_topup(self, topup_id: str) -> dict[str, Any]:
        result = funding.confirm_topup(self.db, topup_id)
        self.db.commit()
        return result

    @rpc
    def handle_stripe_webhook(self, payload: str, signature: str | None) -> dict[str, str]:
        event = self.stripe.verify_webhook(payload, signature)
        outcome = _retry_on_race(funding.handle_stripe_event, self.db, event)
        self.db.commit()
        return {"received": event["id"], "outcome": outcome}

    # -- credits ----------------------------------------------------------------
    @rpc
    def grant_credits(self, **data: Any) -> dict[str, Any]:
        req = load(GrantRequest, data)
        result = _retry_on_race(funding.grant, self.db, **req)
        self.db.commit()
        return result

    @rpc
    def fund_balance(self, company_id: str) -> dict[str, Any]:
        return funding.fund_balance(self.db, company_id)

    @rpc
    def employee_wallet(self, employee_id: str) -> dict[str, Any]:
        return funding.employee_wallet(self.db, employee_id,
                                       fringe_limit=self.benefits.fringe_limit)

    @rpc
    def statement(self, employee_id: str, **page: Any) -> dict[str, Any]:
        return funding.statement(self.db, employee_id, **load(PageSchema, page))

    # -- vouchers ----------------------------------------------------------------
    @rpc
    def purchase_voucher(self, **data: Any) -> dict[str, Any]:
        req = load(PurchaseRequest, data)
        result = _retry_on_race(vouchers.purchase, self.db, **req,
                                fringe_limit=self.benefits.fringe_limit,
                                ask_catalog=partial(vouchers.ask_catalog, self.catalog))
        self.db.commit()
        return result

    @rpc
    def redeem_voucher(self, **data: Any) -> dict[str, Any]:
        request = load(RedemptionRequest, data)
        status = vouchers.circuit_status(self.catalog, request["provider_id"])
        try:
            result = vouchers.redeem(self.db, **request, provider_status=status)
        except Forbidden:
            self.db.commit()  # a refusal outside the circuit is recorded; nothing else
            raise
        self.db.commit()
        return result

    @rpc
    def offline_limits(self, provider_id: str) -> dict[str, int]:
        """What the provider's phone may accept without a network (docs/offline.md)."""
        return offline.limits(self.db, provider_id)

    @rpc
    def set_offline_limits(self, **data: Any) -> dict[str, int]:
        request = load(OfflineLimitsRequest, data)
        result = offline.set_limits(self.db, request.pop("provider_id"), **request)
        self.db.commit()
        return result

    @rpc
    def redeem_offline(self, **data: Any) -> dict[str, Any]:
        """What a provider's phone accepted without a network, sent now: an answer per
        item (docs/offline.md). A provider not in the circuit redeems nothing, as online."""
        request = load(OfflineRedemptionsRequest, data)
        provider_id = request["provider_id"]
        status = vouchers.circuit_status(self.catalog, provider_id)
        try:
            vouchers.refuse_outside_the_circuit(self.db, provider_id, status)
        except Forbidden:
            self.db.commit()  # the refusal is recorded for the operators' console
            raise
        items = [offline.Acceptance(**item) for item in request["items"]]
        result = _retry_on_race(offline.redeem_offline, self.db, provider_id=provider_id,
                                items=items)
        self.db.commit()
        return result

    @rpc
    def offline_duplicates(self, provider_id: str) -> dict[str, Any]:
        return offline.duplicates(self.db, provider_id)

    @rpc
    def provider_standing(self, provider_ids: list[str]) -> dict[str, Any]:
        """Per provider: what it is still owed, and redemptions refused since its
        latest change of status (the operators' providers page)."""
        return operations.provider_standing(self.db, provider_ids)

    @rpc
    def cancel_voucher(self, employee_id: str, voucher_id: str) -> dict[str, Any]:
        result = vouchers.cancel(self.db, employee_id=employee_id, voucher_id=voucher_id,
                                 offline_window=partial(offline.window, self.db))
        self.db.commit()
        return result

    @rpc
    def voucher_qr(self, employee_id: str, voucher_id: str) -> str:
        """The voucher's QR image, base64 PNG (RPC payloads are JSON)."""
        voucher = vouchers.get_for_employee(self.db, employee_id, voucher_id)
        text = vouchers.signed(voucher) or voucher.code
        return base64.b64encode(vouchers.qr_png(text)).decode()

    @rpc
    def voucher_keys(self) -> dict[str, Any]:
        """The public keys that sign vouchers' QR codes, with their validity."""
        return {"keys": [k.public_view() for k in signed_vouchers.configured_keys()]}

    @rpc
    def get_voucher(self, employee_id: str, voucher_id: str) -> dict[str, Any]:
        return vouchers.voucher_view(vouchers.get_for_employee(self.db, employee_id, voucher_id))

    @rpc
    def list_vouchers(self, employee_id: str, **page: Any) -> dict[str, Any]:
        return vouchers.list_for_employee(self.db, employee_id, **load(PageSchema, page))

    # -- reimbursements -----------------------------------------------------------------
    @rpc
    def hold_reimbursement(self, **data: Any) -> dict[str, Any]:
        req = load(HoldRequest, data)
        result = _retry_on_race(reimbursements.hold, self.db, **req,
                                fringe_limit=self.benefits.fringe_limit)
        self.db.commit()
        return result

    @rpc
    def pay_reimbursement(self, reimbursement_id: str) -> dict[str, Any]:
        result = reimbursements.pay(self.db, reimbursement_id)
        self.db.commit()
        return result

    @rpc
    def release_reimbursement(self, reimbursement_id: str) -> dict[str, Any]:
        result = reimbursements.release(self.db, reimbursement_id)
        self.db.commit()
        return result

    @rpc
    def employee_year(self, employee_id: str, year: int) -> dict[str, Any]:
        return usage.employee_year(self.db, employee_id, int(year))

    @rpc
    def usage(self, company_id: str, year: int) -> list[dict[str, Any]]:
        return usage.used_in(self.db, company_id, int(year))

    @rpc
    def network_figures(self, **query: Any) -> dict[str, Any]:
        """A network's totals (benefits asks, with its members' times in it)."""
        req = load(NetworkFiguresRequest, query)
        return network_figures.network_figures(self.db, req["periods"], req["year"],
                                               req["shared_plans"])

    # -- providers ------------------------------------------------------------------
    @rpc
    def run_settlement(self, idempotency_key: str) -> dict[str, Any]:
        transfer = self.stripe.transfer if self.stripe.configured else None
        result = settlement.run(self.db, idempotency_key=idempotency_key,
                                stripe_transfer=transfer)
        self.db.commit()
        return result

    @rpc
    def provider_statement(self, provider_id: str, **page: Any) -> dict[str, Any]:
        return settlement.provider_statement(self.db, provider_id,
                                             **load(StatementQuery, page))

    # -- what operators look at -------------------------------------------------------
    @rpc
    def list_topups(self, **query: Any) -> dict[str, Any]:
        return operations.topups(self.db, **load(TopupQuery, query))

    @rpc
    def settlement_preview(self) -> dict[str, Any]:
        return operations.settlement_preview(self.db,
                                             stripe_configured=self.stripe.configured)

    @rpc
    def settlement_runs(self, **query: Any) -> dict[str, Any]:
        return operations.runs(self.db, **load(RunsQuery, query))

    @rpc
    def settlement_run(self, run_id: str) -> dict[str, Any]:
        return operations.run_detail(self.db, run_id)

    @rpc
    def settlement_sepa(self, run_id: str) -> str:
        return operations.sepa_xml(self.db, run_id)

    @timer(interval=3600, eager=True)
    def daily_settlement(self) -> None:
        """Once a calendar day (the run's key is the date), at the first hourly look: a
        pod restarted every day still runs it. Each look also retries payouts pending."""
        self.run_settlement(f"daily:{date.today().isoformat()}")

    # -- time passing -----------------------------------------------------------------
    @timer(interval=60)
    def housekeeping(self) -> None:
        """Expire vouchers, close ended plans, announce credit about to expire."""
        now = datetime.now(UTC)
        while vouchers.expire_due(self.db, now):
            self.db.commit()
        while vouchers.complete_cancellations(self.db, now):  # past their offline window
            self.db.commit()
        for plan in expiry.plans_to_close(self.db, now.date()):
            expiry.close_plan(self.db, plan)
            self.db.commit()
        expiry.announce_expiring(self.db, now.date())
        self.db.commit()

    @rpc
    def audit(self) -> dict[str, Any]:
        report = ledger.audit(self.db)
        metrics.LEDGER_BALANCED.set(1 if report["balanced"] else 0)
        metrics.LEDGER_AUDITED.set_to_current_time()
        return report

    @timer(interval=900, eager=True)
    def audit_ledger(self) -> None:
        """The audit at start and every 15 minutes, its outcome a metric for the alert
        (wecare_ledger_audit_balanced; docs/operations.md#metrics)."""
        self.audit()

    # -- what other services tell us ------------------------------------------------------
    def _first(self, event: dict[str, Any], consumer: str) -> bool:
        return first_delivery(self.db, inbox, event["id"], f"wallet.{consumer}")

    @handle_event(events.PLAN_CREATED, events.PLAN_CHANGED)
    def on_plan_created(self, event: dict[str, Any]) -> None:
        if self._first(event, "on_plan_created"):
            copies.keep_plan(self.db, events.load_payload(event))
        self.db.commit()

    @handle_event(events.PROVIDER_APPROVED, events.PROVIDER_SUSPENDED)
    def on_provider_changed(self, event: dict[str, Any]) -> None:
        if self._first(event, "on_provider_changed"):
            copies.keep_provider(self.db, events.load_payload(event),
                                 as_of=event["occurred_at"])
        self.db.commit()

    @handle_event(events.OFFERING_PUBLISHED, events.OFFERING_WITHDRAWN)
    def on_offering_changed(self, event: dict[str, Any]) -> None:
        if self._first(event, "on_offering_changed"):
            copies.keep_offering(self.db, events.load_payload(event),
                                 active=event["type"] == events.OFFERING_PUBLISHED,
                                 as_of=event["occurred_at"])
        self.db.commit()

    @handle_event(events.EMPLOYEE_LEFT)
    def on_employee_left(self, event: dict[str, Any]) -> None:
        if self._first(event, "on_employee_left"):
            left = events.load_payload(event)
            expiry.leaver(self.db, left["id"], company_id=left["company_id"],
                          left_on=date.fromisoformat(left["left_on"]))
        self.db.commit()

    @handle_event(events.EMPLOYEE_ENROLLED)
    def on_employee_enrolled(self, event: dict[str, Any]) -> None:
        if self._first(event, "on_employee_enrolled"):
            copies.keep_employee(self.db, events.load_payload(event))
        self.db.commit()

    @handle_event(events.NETWORK_MEMBER_JOINED, events.NETWORK_MEMBER_LEFT)
    def on_network_membership(self, event: dict[str, Any]) -> None:
        if self._first(event, "on_network_membership"):
            copies.keep_network_member(self.db, events.load_payload(event),
                                       joined=event["type"] == events.NETWORK_MEMBER_JOINED,
                                       as_of=event["occurred_at"])
        self.db.commit()

    @handle_event(events.AGREEMENT_ACCEPTED, events.AGREEMENT_ENDED)
    def on_agreement(self, event: dict[str, Any]) -> None:
        if self._first(event, "on_agreement"):
            copies.keep_agreement(self.db, events.load_payload(event),
                                  active=event["type"] == events.AGREEMENT_ACCEPTED,
                                  as_of=event["occurred_at"])
        self.db.commit()
