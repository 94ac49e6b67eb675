"""Calls from payment processors, authenticated by their signature rather than a
signed-in person."""

from __future__ import annotations

from typing import Any

from wecare_common.contract.responses import WebhookOut

from gateway.rooms.base import Room
from gateway.routing import Call, api, read_raw


class WebhooksRoom(Room):
    @api("POST", "/api/v1/webhooks/stripe", response=WebhookOut,
         summary="Stripe payment events (signed with the webhook secret)")
    def stripe_webhook(self, call: Call) -> dict[str, Any]:
        payload = read_raw(call.request)
        return self.wallet.handle_stripe_webhook(
            payload.decode("utf-8", "replace"), call.request.headers.get("Stripe-Signature"))
