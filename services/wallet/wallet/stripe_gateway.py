"""Stripe, reached only through the official SDK (DESIGN §6)."""

from __future__ import annotations

from typing import Any

import stripe
from nameko.extensions import DependencyProvider
from wecare_common.config import env
from wecare_common.errors import RuleViolation


class StripeClient:
    def __init__(self, api_key: str | None, api_base: str | None) -> None:
        self.api_key = api_key
        self.client = None
        if api_key:
            kwargs: dict[str, Any] = {}
            if api_base:
                kwargs["base_addresses"] = {"api": api_base}
            self.client = stripe.StripeClient(api_key, **kwargs)

    def create_payment_intent(self, company_id: str, amount_cents: int,
                              idempotency_key: str) -> dict[str, Any]:
        if self.client is None:
            raise RuleViolation(
                "card top-ups are not available: no Stripe key is configured; "
                "use method bank_transfer", {"method": ["card payments are not configured"]})
        intent = self.client.v1.payment_intents.create(
            params={"amount": amount_cents, "currency": "eur",
                    "payment_method_types": ["card", "sepa_debit"],
                    "metadata": {"company_id": company_id, "purpose": "welfare_topup"}},
            options={"idempotency_key": f"topup:{idempotency_key}"},
        )
        return {"id": intent.id, "client_secret": intent.client_secret}


class StripeGateway(DependencyProvider):
    def setup(self) -> None:
        self.client = StripeClient(env("STRIPE_API_KEY"), env("STRIPE_API_BASE"))

    def get_dependency(self, worker_ctx: Any) -> StripeClient:
        return self.client
