"""The benefits service's entrypoints: thin, each validates then calls the domain."""

from __future__ import annotations

from datetime import date
from typing import Any

from nameko.timer import timer

# a module, not the class: `nameko run` would take every class it finds here
from wecare_common import health
from wecare_common.db import Database
from wecare_common.memory import SettledMemory
from wecare_common.rpc import TimedServiceRpc, rpc
from wecare_common.schemas import PageSchema, load
from wecare_common.timers import every

from benefits import (
    domain,
    estimates,
    fiscal_rules,
    imports,
    network_reports,
    networks,
    offers,
    plans,
    reimbursements,
    reports,
    shared_plans,
)
from benefits.models import Base
from benefits.schemas import (
    BonusChoiceRequest,
    BonusOfferRequest,
    CompanyRequest,
    DecisionRequest,
    DepartureRequest,
    EmployeeQuery,
    EmployeeRequest,
    EstimateSettingsRequest,
    GrantRequest,
    InvitationAnswer,
    MemberInvitation,
    MemberOnboarding,
    NetworkRequest,
    PlanChange,
    PlanRequest,
    ReimbursementRequest,
    SharedPlanRequest,
    WorthRequest,
    WorthSummaryRequest,
)
from benefits.storage import Receipts


class BenefitsService(health.HealthEntrypoints):
    name = "benefits"
    memory = SettledMemory()  # startup's objects out of the collector's walks

    db = Database("benefits", Base.metadata)
    wallet = TimedServiceRpc("wallet", timeout=60)
    receipts = Receipts()

    @rpc
    def create_company(self, idempotency_key: str | None = None, **data: Any
                       ) -> dict[str, Any]:
        result = domain.create_company(self.db, load(CompanyRequest, data),
                                       idempotency_key=idempotency_key)
        self.db.commit()
        return result

    @rpc
    def get_company(self, company_id: str) -> dict[str, Any]:
        return domain.company_view(domain.get_company(self.db, company_id))

    @rpc
    def enroll_employee(self, company_id: str, idempotency_key: str | None = None,
                        **data: Any) -> dict[str, Any]:
        result = domain.enroll_employee(self.db, company_id, load(EmployeeRequest, data),
                                        idempotency_key=idempotency_key)
        self.db.commit()
        return result

    @rpc
    def list_employees(self, company_id: str, **query: Any) -> dict[str, Any]:
        return domain.list_employees(self.db, company_id, **load(EmployeeQuery, query))

    @rpc
    def list_plans(self, company_id: str) -> dict[str, Any]:
        return domain.list_plans(self.db, company_id)

    @rpc
    def create_plan(self, company_id: str, **data: Any) -> dict[str, Any]:
        result = domain.create_plan(self.db, company_id, load(PlanRequest, data))
        self.db.commit()
        return result

    @rpc
    def change_plan(self, company_id: str, plan_id: str, **changes: Any) -> dict[str, Any]:
        result = plans.change_plan(self.db, company_id, plan_id, load(PlanChange, changes))
        self.db.commit()
        return result

    @rpc
    def check_import(self, company_id: str, csv_text: str) -> list[str]:
        """The emails of a CSV that would import, or every bad row with its reasons."""
        return [row["email"] for row in imports.validate(self.db, company_id, csv_text)]

    @rpc
    def preview_import(self, company_id: str, csv_text: str) -> dict[str, Any]:
        """A dry run: the rows that would import and every bad row, nothing written."""
        return imports.preview(self.db, company_id, csv_text)

    @rpc
    def import_employees(self, company_id: str, csv_text: str) -> dict[str, Any]:
        result = imports.import_employees(self.db, company_id, csv_text)
        self.db.commit()
        return result

    @rpc
    def depart(self, company_id: str, employee_id: str, **data: Any) -> dict[str, Any]:
        result = domain.depart(self.db, company_id, employee_id,
                               load(DepartureRequest, data)["left_on"])
        self.db.commit()
        return result

    @rpc
    def request_reimbursement(self, employee_id: str, idempotency_key: str,
                              **data: Any) -> dict[str, Any]:
        result = reimbursements.request(
            self.db, employee_id=employee_id, idempotency_key=idempotency_key,
            data=load(ReimbursementRequest, data), store=self.receipts,
            hold=self.wallet.hold_reimbursement)
        self.db.commit()
        return result

    @rpc
    def decide_reimbursement(self, company_id: str, reimbursement_id: str,
                             **data: Any) -> dict[str, Any]:
        decision = load(DecisionRequest, data)
        result = reimbursements.decide(
            self.db, company_id=company_id, reimbursement_id=reimbursement_id,
            approved=decision["approved"], reason=decision["reason"],
            pay=self.wallet.pay_reimbursement, release=self.wallet.release_reimbursement)
        self.db.commit()
        return result

    @rpc
    def reimbursement_receipt(self, company_id: str, reimbursement_id: str) -> dict[str, Any]:
        return reimbursements.receipt(self.db, self.receipts, company_id=company_id,
                                      reimbursement_id=reimbursement_id)

    @rpc
    def reimbursements(self, company_id: str | None = None, employee_id: str | None = None,
                       status: str | None = None, **page: Any) -> dict[str, Any]:
        return reimbursements.listing(self.db, company_id=company_id, employee_id=employee_id,
                                      status=status, **load(PageSchema, page))

    @rpc
    def fiscal_report(self, company_id: str, year: int, as_csv: bool = False) -> Any:
        report = reports.fiscal_report(self.db, company_id, int(year),
                                       self.wallet.usage(company_id, int(year)))
        return reports.as_csv(report) if as_csv else report

    @rpc
    def fiscal_rules(self, year: int | None = None) -> dict[str, Any]:
        """The year's rules (this year's when none is named), read-only."""
        return fiscal_rules.published(date.today().year if year is None else int(year))

    @rpc
    def estimate_settings(self, company_id: str) -> dict[str, Any]:
        return estimates.estimate_settings(self.db, company_id)

    @rpc
    def change_estimate_settings(self, company_id: str, **data: Any) -> dict[str, Any]:
        result = estimates.change_estimate_settings(self.db, company_id,
                                                    load(EstimateSettingsRequest, data))
        self.db.commit()
        return result

    @rpc
    def worth(self, employee_id: str, **data: Any) -> dict[str, Any]:
        """What an amount of credit is worth to this employee in salary terms (an
        estimate; the income, when given, is the employee's own and is not kept)."""
        return estimates.worth_for(self.db, employee_id, load(WorthRequest, data))

    @rpc
    def worth_summary(self, employee_id: str, **data: Any) -> dict[str, Any]:
        """An employee's year in salary terms (the wallet's side given with it)."""
        return estimates.summary(self.db, employee_id, load(WorthSummaryRequest, data))

    @rpc
    def fringe_limit(self, employee_id: str, year: int) -> int:
        return domain.fringe_limit(self.db, employee_id, int(year))

    @rpc
    def grant_preview(self, company_id: str, plan_id: str, **data: Any) -> dict[str, Any]:
        return domain.grant_preview(self.db, company_id=company_id, plan_id=plan_id,
                                    data=load(GrantRequest, data))

    @rpc
    def grant_credits(self, company_id: str, plan_id: str, idempotency_key: str,
                      **data: Any) -> dict[str, Any]:
        result = domain.grant_credits(
            self.db, company_id=company_id, plan_id=plan_id, data=load(GrantRequest, data),
            idempotency_key=idempotency_key, wallet_grant=self.wallet.grant_credits)
        self.db.commit()
        return result

    # -- networks of firms (docs/domain.md#networks) ------------------------------------
    @rpc
    def create_network(self, idempotency_key: str | None = None, **data: Any
                       ) -> dict[str, Any]:
        result = networks.create_network(self.db, load(NetworkRequest, data),
                                         idempotency_key=idempotency_key)
        self.db.commit()
        return result

    @rpc
    def get_network(self, network_id: str) -> dict[str, Any]:
        return networks.network_view(networks.get_network(self.db, network_id))

    @rpc
    def find_network(self, slug: str) -> dict[str, Any]:
        return networks.public_view(networks.find_network(self.db, slug))

    @rpc
    def list_networks(self, **page: Any) -> dict[str, Any]:
        return networks.list_networks(self.db, **load(PageSchema, page))

    @rpc
    def invite_company(self, network_id: str, **data: Any) -> dict[str, Any]:
        result = networks.invite_company(self.db, network_id, load(MemberInvitation, data))
        self.db.commit()
        return result

    @rpc
    def onboard_company(self, network_id: str, idempotency_key: str | None = None,
                        **data: Any) -> dict[str, Any]:
        result = networks.onboard_company(self.db, network_id, load(MemberOnboarding, data),
                                          idempotency_key=idempotency_key)
        self.db.commit()
        return result

    @rpc
    def network_members(self, network_id: str, status: str | None = None) -> dict[str, Any]:
        return networks.members(self.db, network_id, status)

    @rpc
    def withdraw_invitation(self, network_id: str, membership_id: str) -> dict[str, Any]:
        result = networks.withdraw_invitation(self.db, network_id, membership_id)
        self.db.commit()
        return result

    @rpc
    def company_network(self, company_id: str) -> dict[str, Any]:
        return networks.company_network(self.db, company_id)

    @rpc
    def answer_invitation(self, company_id: str, membership_id: str, **data: Any
                          ) -> dict[str, Any]:
        result = networks.answer_invitation(self.db, company_id, membership_id,
                                            load(InvitationAnswer, data)["accept"])
        self.db.commit()
        return result

    @rpc
    def leave_network(self, company_id: str) -> dict[str, Any]:
        result = networks.leave(self.db, company_id)
        self.db.commit()
        return result

    @rpc
    def propose_shared_plan(self, network_id: str, **data: Any) -> dict[str, Any]:
        result = shared_plans.propose(self.db, network_id, load(SharedPlanRequest, data))
        self.db.commit()
        return result

    @rpc
    def network_shared_plans(self, network_id: str) -> dict[str, Any]:
        return shared_plans.of_network(self.db, network_id)

    @rpc
    def withdraw_shared_plan(self, network_id: str, template_id: str) -> dict[str, Any]:
        result = shared_plans.withdraw(self.db, network_id, template_id)
        self.db.commit()
        return result

    @rpc
    def company_shared_plans(self, company_id: str) -> dict[str, Any]:
        return shared_plans.for_company(self.db, company_id)

    @rpc
    def adopt_shared_plan(self, company_id: str, template_id: str) -> dict[str, Any]:
        result = shared_plans.adopt(self.db, company_id, template_id)
        self.db.commit()
        return result

    @rpc
    def network_dashboard(self, network_id: str, year: int) -> dict[str, Any]:
        return network_reports.dashboard(self.db, network_id, int(year),
                                         self.wallet.network_figures)

    @rpc
    def network_report(self, network_id: str, year: int, as_csv: bool = False) -> Any:
        doc = network_reports.report(self.db, network_id, int(year),
                                     self.wallet.network_figures)
        return network_reports.as_csv(doc) if as_csv else doc

    @timer(interval=60)
    def finish_pending_grants(self) -> None:
        """Grants the wallet was not reached for (or whose process died mid-way)."""
        domain.finish_pending_grants(self.db, self.wallet.grant_credits)

    # -- performance-bonus offers (docs/domain.md#bonus-offers) ------------------------------
    @rpc
    def create_bonus_offer(self, company_id: str, idempotency_key: str,
                           **data: Any) -> dict[str, Any]:
        result = offers.create_offer(self.db, company_id, load(BonusOfferRequest, data),
                                     idempotency_key)
        self.db.commit()
        return result

    @rpc
    def bonus_offers(self, company_id: str) -> dict[str, Any]:
        return offers.list_offers(self.db, company_id)

    @rpc
    def bonus_offer(self, company_id: str, offer_id: str) -> dict[str, Any]:
        return offers.offer_detail(self.db, company_id, offer_id)

    @rpc
    def my_bonus_offers(self, employee_id: str, income_cents: int | None = None
                        ) -> dict[str, Any]:
        return offers.my_offers(self.db, employee_id, income_cents)

    @rpc
    def my_bonus_offer(self, employee_id: str, offer_id: str, income_cents: int | None = None,
                       welfare_cents: int | None = None) -> dict[str, Any]:
        return offers.my_offer(self.db, employee_id, offer_id, income_cents, welfare_cents)

    @rpc
    def choose_bonus(self, employee_id: str, offer_id: str, income_cents: int | None = None,
                     **data: Any) -> dict[str, Any]:
        result = offers.choose(self.db, employee_id, offer_id,
                               load(BonusChoiceRequest, data)["welfare_cents"], income_cents)
        self.db.commit()
        return result

    @every(60, "WECARE_BONUS_OFFERS_INTERVAL_SECONDS")
    def bonus_offer_deadlines(self) -> None:
        """Reminders three days before a deadline; at the deadline, the outcomes
        recorded, then the welfare parts granted and the offer closed (each step
        committed first, so a crash is finished here next time)."""
        offers.remind_due(self.db)
        offers.settle_due(self.db)
        offers.finish_settling(self.db, self.wallet.grant_credits)
