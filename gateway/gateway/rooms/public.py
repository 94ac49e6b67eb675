"""What anyone may read without signing in: the circuit of providers, the year's
fiscal rules (the law's figures, nothing of any company or person) and the public keys
that sign vouchers' QR codes."""

from __future__ import annotations

from typing import Any

from wecare_common.contract.catalog import CircuitRequest, NetworkCircuitRequest
from wecare_common.contract.responses import (
    CircuitPage,
    FiscalRulesOut,
    NetworkCircuitOut,
    VoucherKeysOut,
)
from werkzeug.wrappers import Response

from gateway import errors
from gateway.rooms.base import Room
from gateway.routing import Call, api
from gateway.schemas import FiscalRulesQuery


class PublicRoom(Room):
    @api("GET", "/api/v1/circuit", query=CircuitRequest, response=CircuitPage,
         summary="the published list of the circuit's providers, by province and category")
    def circuit(self, call: Call) -> dict[str, Any]:
        return self.catalog.circuit(**call.query)

    @api("GET", "/api/v1/networks/<slug>/circuit", query=NetworkCircuitRequest,
         response=NetworkCircuitOut, any_origin=True,
         summary="a network's circuit, open to the territory: its providers with their "
         "place and the offers agreed for its members' employees, all or one category's "
         "(no sign-in)")
    def network_circuit(self, call: Call, slug: str) -> Response:
        network = self.benefits.find_network(slug)
        # open data: any site of the territory may read it from a browser (any_origin:
        # no credentials, nothing of any person), and caches may keep it five minutes
        body = NetworkCircuitOut().dump(
            {"network": network, **self.catalog.network_circuit(network["id"], **call.query)})
        return errors.json_response(200, body, {"Cache-Control": "public, max-age=300"})

    @api("GET", "/api/v1/fiscal-rules", query=FiscalRulesQuery, response=FiscalRulesOut,
         summary="a fiscal year's welfare rules, each figure with its legal basis (read-only)")
    def fiscal_rules(self, call: Call) -> Response:
        rules = self.benefits.fiscal_rules(call.query["year"])
        return errors.json_response(200, rules, {"Cache-Control": "public, max-age=3600"})

    @api("GET", "/api/v1/voucher-keys", response=VoucherKeysOut,
         summary="the public keys that sign vouchers' QR codes, with their validity: what a "
                 "provider's phone keeps to check a voucher without a network "
                 "(docs/offline.md; no sign-in)")
    def voucher_keys(self, call: Call) -> Response:
        return errors.json_response(200, VoucherKeysOut().dump(self.wallet.voucher_keys()),
                                    {"Cache-Control": "public, max-age=300"})
