"""The employee's routes: the catalogue, vouchers, the wallet and statement,
reimbursement requests, provider proposals. Each acts on the caller's own employee id."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from wecare_common.contract import refusals
from wecare_common.contract.benefits import (
    MAX_RECEIPT_BYTES,
    RECEIPT_TYPES,
    BonusChoiceRequest,
    IncomeEstimateRequest,
)
from wecare_common.contract.catalog import ProposalRequest, SearchRequest
from wecare_common.contract.responses import (
    IncomeEstimateOut,
    MyBonusOfferOut,
    MyBonusOfferPage,
    OfferingDetail,
    OfferingPage,
    ProposalOut,
    ProposalPage,
    ReimbursementOut,
    ReimbursementPage,
    StatementOut,
    VoucherOut,
    VoucherPage,
    WalletOut,
    WorthOut,
    WorthSummaryOut,
)
from wecare_common.contract.wallet import PurchaseFields
from wecare_common.schemas import PageSchema
from wecare_common.spreadsheet import write_csv
from werkzeug.wrappers import Response

from gateway import estimates, limits
from gateway.rooms.base import Room, json_ready
from gateway.routing import SignedInCall, api
from gateway.schemas import BonusOfferQuery, ReimbursementForm, WorthQuery, WorthSummaryQuery

# the statement file: every movement, newest first (a person's statement is short; a
# bound keeps one request bounded)
STATEMENT_CSV_COLUMNS = ("occurred_at", "kind", "plan_id", "plan_name", "amount_cents")
STATEMENT_CSV_ROWS = 20_000


def _employer(call: SignedInCall) -> str | None:
    """An employee's company (whose network's prices they get); None for other roles."""
    return call.principal.company_id if call.principal.role == "employee" else None


class EmployeeRoom(Room):
    @api("GET", "/api/v1/offerings", roles=("admin", "hr", "employee", "provider", "network"),
         query=SearchRequest, response=OfferingPage,
         summary="search the catalogue: category, Italian text, near a point, price")
    def search_offerings(self, call: SignedInCall) -> dict[str, Any]:
        # an employee sees their network's agreed offers marked (catalog keeps which
        # network each company is in)
        return self.catalog.search(company_id=_employer(call), **call.query)

    @api("GET", "/api/v1/offerings/<oid>",
         roles=("admin", "hr", "employee", "provider", "network"),
         response=OfferingDetail, summary="one offering, with its provider's name and place")
    def offering(self, call: SignedInCall, oid: str) -> dict[str, Any]:
        return self.catalog.offering_detail(oid, company_id=_employer(call))

    @api("POST", "/api/v1/me/vouchers", roles=("employee",), body=PurchaseFields,
         response=VoucherOut, status=201, moves_money=True,
         summary="buy a voucher for an offering, at its full price, from one plan")
    def buy_voucher(self, call: SignedInCall) -> tuple[int, Any]:
        return self._once(call, lambda: self.wallet.purchase_voucher(
            employee_id=call.principal.employee_id,
            idempotency_key=self._downstream_key(call), **call.body), 201)

    @api("GET", "/api/v1/me/vouchers", roles=("employee",), query=PageSchema,
         response=VoucherPage, summary="the employee's vouchers")
    def my_vouchers(self, call: SignedInCall) -> dict[str, Any]:
        return self.wallet.list_vouchers(call.principal.employee_id, **call.query)

    @api("GET", "/api/v1/me/vouchers/<voucher_id>", roles=("employee",), response=VoucherOut,
         summary="one of the employee's vouchers")
    def my_voucher(self, call: SignedInCall, voucher_id: str) -> dict[str, Any]:
        return self.wallet.get_voucher(call.principal.employee_id, voucher_id)

    @api("GET", "/api/v1/me/vouchers/<voucher_id>/qr.png", roles=("employee",),
         summary="the voucher's code as a QR image, to show at the provider")
    def voucher_qr(self, call: SignedInCall, voucher_id: str) -> Response:
        png = base64.b64decode(self.wallet.voucher_qr(
            call.principal.employee_id, voucher_id))
        return Response(png, mimetype="image/png",
                        # a voucher's code is money: no browser keeps it past the session
                        headers={"Cache-Control": "no-store"})

    @api("POST", "/api/v1/me/vouchers/<voucher_id>/cancellation", roles=("employee",),
         response=VoucherOut, open_to_leavers=True,
         summary="cancel an unredeemed voucher: the credit returns (to the company fund, "
                 "once you have left)")
    def cancel_voucher(self, call: SignedInCall, voucher_id: str) -> dict[str, Any]:
        return self.wallet.cancel_voucher(call.principal.employee_id, voucher_id)

    @api("GET", "/api/v1/me/wallet", roles=("employee",), response=WalletOut,
         summary="balances per plan, and what expires soon")
    def my_wallet(self, call: SignedInCall) -> dict[str, Any]:
        return self.wallet.employee_wallet(call.principal.employee_id)

    @api("GET", "/api/v1/me/transactions", roles=("employee",), query=PageSchema,
         response=StatementOut, summary="the employee's statement")
    def my_transactions(self, call: SignedInCall) -> dict[str, Any]:
        return self.wallet.statement(call.principal.employee_id, **call.query)

    @api("GET", "/api/v1/me/statement.csv", roles=("employee",),
         summary="the employee's statement as a CSV file, newest first (kept after leaving, "
                 "while access lasts)")
    def my_statement_csv(self, call: SignedInCall) -> Response:
        employee_id = call.principal.employee_id
        plans = {p["plan_id"]: p["name"]
                 for p in self.wallet.employee_wallet(employee_id)["plans"]}
        rows: list[dict[str, Any]] = []
        cursor = None
        while len(rows) < STATEMENT_CSV_ROWS:
            page = self.wallet.statement(employee_id, limit=200, cursor=cursor)
            rows += [{"occurred_at": m["occurred_at"], "kind": m["kind"],
                      "plan_id": m["plan_id"], "plan_name": plans.get(m["plan_id"] or ""),
                      "amount_cents": m["amount_cents"]} for m in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        return Response(write_csv(STATEMENT_CSV_COLUMNS, rows[:STATEMENT_CSV_ROWS]),
                        mimetype="text/csv", headers={
                            "Content-Disposition": 'attachment; filename="wecare-statement.csv"',
                            "Cache-Control": "private, no-store"})

    @api("POST", "/api/v1/me/reimbursements", roles=("employee",), body=ReimbursementForm,
         body_type="multipart/form-data", max_body_bytes=MAX_RECEIPT_BYTES + 64 * 1024,
         response=ReimbursementOut, status=201, moves_money=True,
         summary="ask to be reimbursed, with the receipt: the amount is held at once")
    def request_reimbursement(self, call: SignedInCall) -> tuple[int, Any]:
        receipt = call.request.files.get("receipt")
        if receipt is None:
            raise refusals.RECEIPT_MISSING(field="receipt")
        content_type = receipt.mimetype
        if content_type not in RECEIPT_TYPES:
            raise refusals.RECEIPT_TYPE_NOT_ACCEPTED(content_type=content_type or "unknown",
                                                     field="receipt")
        content = receipt.stream.read(MAX_RECEIPT_BYTES + 1)
        if len(content) > MAX_RECEIPT_BYTES:
            raise refusals.RECEIPT_TOO_LARGE(max_bytes=MAX_RECEIPT_BYTES, field="receipt")
        form = {k: v for k, v in json_ready(call.body).items() if k != "receipt"}
        return self._once(call, lambda: self.benefits.request_reimbursement(
            call.principal.employee_id, self._downstream_key(call),
            receipt_content_type=content_type,
            receipt_base64=base64.b64encode(content).decode(), **form), 201)

    @api("GET", "/api/v1/me/reimbursements", roles=("employee",), query=PageSchema,
         response=ReimbursementPage, summary="your reimbursement requests")
    def my_reimbursements(self, call: SignedInCall) -> dict[str, Any]:
        return self.benefits.reimbursements(
            employee_id=call.principal.employee_id, **call.query)

    @api("POST", "/api/v1/me/provider-proposals", roles=("employee",), body=ProposalRequest,
         response=ProposalOut, status=201,
         summary="propose a provider you use: the platform invites it (5 a day)")
    def propose_provider(self, call: SignedInCall) -> dict[str, Any]:
        limits.take(self.db, limits.PROPOSALS_PER_EMPLOYEE, str(call.principal.employee_id))
        return self.catalog.propose_provider(
            call.principal.employee_id, call.principal.company_id, **call.body)

    @api("GET", "/api/v1/me/provider-proposals", roles=("employee",), response=ProposalPage,
         summary="your proposals, from invitation to approval")
    def my_proposals(self, call: SignedInCall) -> dict[str, Any]:
        return self.catalog.proposals_of(call.principal.employee_id)

    # -- what it is worth (docs/fiscal-rules.md#what-welfare-is-worth) --------------------
    @api("GET", "/api/v1/me/income-estimate", roles=("employee",), response=IncomeEstimateOut,
         summary="your approximate gross yearly income, if you gave it: only you see it")
    def my_income_estimate(self, call: SignedInCall) -> dict[str, Any]:
        return {"income_cents": estimates.income_of(self.db, call.principal.user_id)}

    @api("PUT", "/api/v1/me/income-estimate", roles=("employee",), body=IncomeEstimateRequest,
         response=IncomeEstimateOut, summary="give your approximate gross yearly income for "
         "the estimates of what your welfare is worth (null forgets it); only you see it")
    def set_my_income_estimate(self, call: SignedInCall) -> dict[str, Any]:
        return {"income_cents": estimates.state_income(
            self.db, call.principal.user_id, call.body["income_cents"])}

    @api("GET", "/api/v1/me/worth", roles=("employee",), query=WorthQuery, response=WorthOut,
         summary="what your credit (or an amount of it, spent in a category) is worth in "
                 "salary terms: an estimate, with what it assumes")
    def my_worth(self, call: SignedInCall) -> dict[str, Any]:
        employee_id = call.principal.employee_id
        amount, category = call.query["amount_cents"], call.query["category"]
        fringe_room = None
        if amount is None or category == "fringe":
            wallet = self.wallet.employee_wallet(employee_id)
            fringe_room = (wallet.get("fringe") or {}).get("room_cents")
            amount = wallet["total_cents"] if amount is None else amount
        return self.benefits.worth(
            employee_id, amount_cents=amount, category=category,
            fringe_room_cents=fringe_room, year=call.query["year"],
            income_cents=estimates.income_of(self.db, call.principal.user_id))

    @api("GET", "/api/v1/me/worth/summary", roles=("employee",), query=WorthSummaryQuery,
         response=WorthSummaryOut, summary="your year: the credit you received and what it "
         "is worth in salary terms, the bonus you converted, what you used and how the law "
         "treats it (an estimate, with what it assumes)")
    def my_worth_summary(self, call: SignedInCall) -> dict[str, Any]:
        employee_id = call.principal.employee_id
        year = call.query["year"] or date.today().year
        year_in_wallet = self.wallet.employee_year(employee_id, year)
        return self.benefits.worth_summary(
            employee_id, year=year, received_cents=year_in_wallet["received_cents"],
            used=year_in_wallet["used"],
            income_cents=estimates.income_of(self.db, call.principal.user_id))

    # -- a performance bonus offered: compare and choose (docs/domain.md#bonus-offers) ---
    @api("GET", "/api/v1/me/bonus-offers", roles=("employee",), response=MyBonusOfferPage,
         summary="the performance bonuses offered to you, each with your choice and what "
                 "it comes to in cash and in welfare")
    def my_bonus_offers(self, call: SignedInCall) -> dict[str, Any]:
        return self.benefits.my_bonus_offers(
            call.principal.employee_id,
            income_cents=estimates.income_of(self.db, call.principal.user_id))

    @api("GET", "/api/v1/me/bonus-offers/<offer_id>", roles=("employee",),
         query=BonusOfferQuery, response=MyBonusOfferOut,
         summary="one bonus offered to you, compared (cash net vs welfare) at your choice or "
                 "at the welfare part you ask about")
    def my_bonus_offer(self, call: SignedInCall, offer_id: str) -> dict[str, Any]:
        return self.benefits.my_bonus_offer(
            call.principal.employee_id, offer_id, welfare_cents=call.query["welfare_cents"],
            income_cents=estimates.income_of(self.db, call.principal.user_id))

    @api("PUT", "/api/v1/me/bonus-offers/<offer_id>/choice", roles=("employee",),
         body=BonusChoiceRequest, response=MyBonusOfferOut,
         summary="choose how much of the bonus to take as welfare credit (the rest is paid "
                 "in cash); changeable until the deadline")
    def choose_bonus(self, call: SignedInCall, offer_id: str) -> dict[str, Any]:
        return self.benefits.choose_bonus(
            call.principal.employee_id, offer_id, welfare_cents=call.body["welfare_cents"],
            income_cents=estimates.income_of(self.db, call.principal.user_id))
