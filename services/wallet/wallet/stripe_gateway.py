"""Stripe, reached only through the official SDK (docs/domain.md#top-ups)."""

from __future__ import annotations

import json
from typing import Any

import stripe
from nameko.extensions import DependencyProvider
from wecare_common.config import env
from wecare_common.contract import refusals


class StripeClient:
    def __init__(self, api_key: str | None, api_base: str | None,
                 webhook_secret: str | None = None,
                 publishable_key: str | None = None) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.publishable_key = publishable_key
        self.client = None
        if api_key:
            kwargs: dict[str, Any] = {}
            if api_base:
                kwargs["base_addresses"] = {"api": api_base}
            self.client = stripe.StripeClient(api_key, **kwargs)

    @property
    def configured(self) -> bool:
        return self.client is not None

    def funding_options(self) -> dict[str, Any]:
        """How a company may top up its fund: a bank transfer always; by card or SEPA
        Direct Debit in the page (Stripe's Payment Element) when Stripe is configured
        with both its secret key and the publishable key the browser needs."""
        card = self.configured and bool(self.publishable_key)
        return {"bank_transfer": True, "card_available": card,
                "stripe_publishable_key": self.publishable_key if card else None,
                "card_methods": ["card", "sepa_debit"] if card else []}

    def create_payment_intent(self, company_id: str, amount_cents: int,
                              idempotency_key: str) -> dict[str, Any]:
        if self.client is None:
            raise refusals.CARD_NOT_CONFIGURED(field="method")
        intent = self.client.v1.payment_intents.create(
            params={"amount": amount_cents, "currency": "eur",
                    "payment_method_types": ["card", "sepa_debit"],
                    "metadata": {"company_id": company_id, "purpose": "welfare_topup"}},
            options={"idempotency_key": f"topup:{idempotency_key}"},
        )
        return {"id": intent.id, "client_secret": intent.client_secret}

    def transfer(self, account_id: str, amount_cents: int, idempotency_key: str) -> str:
        """A Stripe Connect transfer to a provider's connected account."""
        transfer = self.client.v1.transfers.create(  # type: ignore[union-attr]
            params={"amount": amount_cents, "currency": "eur", "destination": account_id,
                    # the payout's own id: found again in Stripe after its key expired
                    "transfer_group": idempotency_key,
                    "metadata": {"purpose": "provider_payout", "payout_id": idempotency_key}},
            options={"idempotency_key": f"payout:{idempotency_key}"},
        )
        return transfer.id

    def verify_webhook(self, payload: str, signature: str | None) -> dict[str, Any]:
        """The event, if Stripe signed it recently with our webhook secret."""
        if not self.webhook_secret:
            raise refusals.WEBHOOKS_NOT_CONFIGURED(field="Stripe-Signature")
        try:
            stripe.Webhook.construct_event(payload, signature or "", self.webhook_secret,
                                           tolerance=300)
        except stripe.SignatureVerificationError as exc:
            raise refusals.STRIPE_SIGNATURE_INVALID(field="Stripe-Signature") from exc
        except ValueError as exc:
            raise refusals.NOT_A_STRIPE_EVENT(field="_body") from exc
        return json.loads(payload)  # verified above; plain data for the domain


class StripeGateway(DependencyProvider):
    def setup(self) -> None:
        self.client = StripeClient(env("STRIPE_API_KEY"), env("STRIPE_API_BASE"),
                                   env("STRIPE_WEBHOOK_SECRET"),
                                   env("STRIPE_PUBLISHABLE_KEY"))

    def get_dependency(self, worker_ctx: Any) -> StripeClient:
        return self.client
