"""GET /api/v1/fiscal-rules as the OpenAPI document declares it."""

from gateway.openapi import build_spec
from gateway.schemas import FiscalRulesQuery
from gateway.service import GatewayService


def test_the_route_is_documented_public_with_its_query_and_response() -> None:
    spec = build_spec(GatewayService)
    operation = spec["paths"]["/api/v1/fiscal-rules"]["get"]
    assert "security" not in operation and "x-roles" not in operation  # anyone
    assert [(p["in"], p["name"], p.get("required", False))
            for p in operation["parameters"]] == [("query", "year", False)]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FiscalRulesOut"}
    out = spec["components"]["schemas"]["FiscalRulesOut"]["properties"]
    assert {"year", "listed", "categories", "fringe", "cumulative_voucher",
            "performance_bonus"} <= set(out)
    bonus = spec["components"]["schemas"]["PerformanceBonusOut"]["properties"]
    assert {"cap_cents", "cap_basis", "income_max_cents", "income_max_basis",
            "substitute_tax_bps", "substitute_tax_basis"} <= set(bonus)
    category = spec["components"]["schemas"]["CategoryRuleOut"]["properties"]
    assert {"legal_basis", "cash_reimbursable", "yearly_limit_cents",
            "yearly_limit_basis"} <= set(category)


def test_the_year_is_optional_and_bounded() -> None:
    assert FiscalRulesQuery().load({}) == {"year": None}
    assert FiscalRulesQuery().load({"year": "2026"}) == {"year": 2026}
    errors = FiscalRulesQuery().validate({"year": "1999"})
    assert "year" in errors
    assert "year" in FiscalRulesQuery().validate({"year": "due mila"})
