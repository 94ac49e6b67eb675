"""What anyone may read without signing in: the circuit of providers and the year's
fiscal rules (the law's figures, nothing of any company or person)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from gateway import errors
from gateway.rooms.base import Room
from gateway.routing import Call, api
from gateway.schemas import (
    CircuitPage,
    CircuitQuery,
    FiscalRulesOut,
    FiscalRulesQuery,
)


class PublicRoom(Room):
    @api("GET", "/api/v1/circuit", query=CircuitQuery, response=CircuitPage,
         summary="the published list of the circuit's providers, by province and category")
    def circuit(self, call: Call) -> dict[str, Any]:
        return self.catalog.circuit(**call.query)

    @api("GET", "/api/v1/fiscal-rules", query=FiscalRulesQuery, response=FiscalRulesOut,
         summary="a fiscal year's welfare rules, each figure with its legal basis (read-only)")
    def fiscal_rules(self, call: Call) -> Response:
        rules = self.benefits.fiscal_rules(call.query["year"])
        return errors.json_response(200, rules, {"Cache-Control": "public, max-age=3600"})
