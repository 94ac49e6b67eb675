"""GET /api/v1/networks/{slug}/circuit as the OpenAPI document declares it: open to
anyone, filtered by the catalogue's own category filter (docs/api.md#networks)."""

from gateway.openapi import build_spec
from gateway.service import GatewayService
from wecare_common.categories import CATEGORIES


def test_the_circuit_takes_one_of_the_shared_categories() -> None:
    spec = build_spec(GatewayService)
    operation = spec["paths"]["/api/v1/networks/{slug}/circuit"]["get"]
    assert "security" not in operation and "x-roles" not in operation  # anyone
    parameters = {(p["in"], p["name"]): p for p in operation["parameters"]}
    assert set(parameters) == {("path", "slug"), ("query", "category")}
    category = parameters[("query", "category")]
    assert not category.get("required", False)
    assert [c for c in category["schema"]["enum"] if c is not None] == list(CATEGORIES)
    assert "400" in operation["responses"]
    # the same declaration as the catalogue's search (one filter, not a second)
    search = spec["paths"]["/api/v1/offerings"]["get"]["parameters"]
    assert next(p for p in search if p["name"] == "category")["schema"] == category["schema"]
