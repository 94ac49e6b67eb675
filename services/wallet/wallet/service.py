"""The wallet's entrypoints: thin, each validates then calls the domain."""

from __future__ import annotations

from typing import Any

from nameko.web.handlers import http
from sqlalchemy.exc import IntegrityError
from wecare_common.db import Database
from wecare_common.health import probe_response, readiness
from wecare_common.rpc import rpc
from wecare_common.schemas import load

from wallet import funding, ledger
from wallet.models import Base
from wallet.schemas import GrantRequest, TopupRequest
from wallet.stripe_gateway import StripeGateway


def _retry_on_race(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run once more when a concurrent request with the same key won the insert."""
    try:
        return fn(*args, **kwargs)
    except IntegrityError:
        args[0].rollback()
        return fn(*args, **kwargs)


class WalletService:
    name = "wallet"

    db = Database("wallet", Base.metadata)
    stripe = StripeGateway()

    @rpc
    def health(self) -> dict[str, Any]:
        return readiness(self.name, self.db)

    @http("GET", "/health")
    def http_health(self, request: Any) -> tuple[int, dict[str, str], str]:
        return probe_response(readiness(self.name, self.db))

    @rpc
    def request_topup(self, **data: Any) -> dict[str, Any]:
        req = load(TopupRequest(), data)
        intent = None
        if req["method"] == "card":
            intent = self.stripe.create_payment_intent(
                req["company_id"], req["amount_cents"], req["idempotency_key"])
        result = _retry_on_race(funding.request_topup, self.db, **req, payment_intent=intent)
        self.db.commit()
        return result

    @rpc
    def confirm_topup(self, topup_id: str) -> dict[str, Any]:
        result = funding.confirm_topup(self.db, topup_id)
        self.db.commit()
        return result

    @rpc
    def grant_credits(self, **data: Any) -> dict[str, Any]:
        req = load(GrantRequest(), data)
        result = _retry_on_race(funding.grant, self.db, **req)
        self.db.commit()
        return result

    @rpc
    def fund_balance(self, company_id: str) -> dict[str, Any]:
        return funding.fund_balance(self.db, company_id)

    @rpc
    def employee_wallet(self, employee_id: str) -> dict[str, Any]:
        return funding.employee_wallet(self.db, employee_id)

    @rpc
    def statement(self, employee_id: str, limit: int = 50, cursor: str | None = None
                  ) -> dict[str, Any]:
        return funding.statement(self.db, employee_id, limit, cursor)

    @rpc
    def audit(self) -> dict[str, Any]:
        return ledger.audit(self.db)
