"""The gateway validates with the contract's schemas (wecare_common.contract):
each rule the copies it used to keep had lost (issue 14) now refuses at the
gateway itself, naming the field; and no request schema of a service is declared
a second time here."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, ValidationError
from wecare_common.contract import benefits, catalog, responses, wallet

from gateway import schemas

TODAY = date.today()
PLAN = {"name": "Welfare", "fiscal_year": TODAY.year, "valid_from": TODAY.isoformat(),
        "valid_until": (TODAY + timedelta(days=90)).isoformat(), "categories": ["education"],
        "leftover_policy": "return_to_fund"}
FORM = {"amount_cents": "12000", "category": "education", "spent_on": TODAY.isoformat(),
        "provider_tax_id": "45678900049", "beneficiary_fiscal_code": "RSSMRA80A01H501U"}


def refused(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as exc:
        schema().load(data)
    errors: dict[str, Any] = exc.value.messages
    return errors


def test_a_plan_ending_before_it_starts_is_refused() -> None:
    assert benefits.PlanRequest().load(PLAN)["valid_until"] > TODAY
    errors = refused(benefits.PlanRequest, {**PLAN, "valid_until": (TODAY - timedelta(days=1))
                                      .isoformat()})
    assert errors == {"valid_until": ["must not be before valid_from"]}


@pytest.mark.parametrize("body", [{}, {"employee_ids": [], "all": False},
                                  {"employee_ids": ["e1"], "all": True}])
def test_a_grant_names_either_its_employees_or_all(body: dict[str, Any]) -> None:
    errors = refused(benefits.GrantRequest, {"amount_cents": 100, **body})
    assert "employee_ids" in errors
    assert benefits.GrantRequest().load({"amount_cents": 100, "all": True})["all"] is True


def test_a_grant_lists_an_employee_once() -> None:
    errors = refused(benefits.GrantRequest, {"amount_cents": 100, "employee_ids": ["e1", "e1"]})
    assert errors == {"employee_ids": ["an employee is listed twice"]}


@pytest.mark.parametrize("schema", [catalog.OfferingRequest, catalog.OfferingUpdate])
def test_an_offering_valid_until_before_valid_from_is_refused(schema: type[Schema]) -> None:
    body = {"title": "Retta", "category": "education", "price_cents": 100,
            "valid_from": "2026-05-01", "valid_until": "2026-04-30"}
    if schema is catalog.OfferingUpdate:
        body = {"valid_from": body["valid_from"], "valid_until": body["valid_until"]}
    assert refused(schema, body) == {"valid_until": ["must not be before valid_from"]}


@pytest.mark.parametrize("query", [{"lat": "45.07"}, {"lon": "7.69"}])
def test_a_search_point_needs_both_lat_and_lon(query: dict[str, str]) -> None:
    assert refused(catalog.SearchRequest, query) == {"lat": ["give both lat and lon"]}
    assert catalog.SearchRequest().load({"lat": "45.07", "lon": "7.69"})["lon"] == 7.69


def test_refusing_a_reimbursement_says_why() -> None:
    assert refused(benefits.DecisionRequest, {"approved": False, "reason": "  "}) == {
        "reason": ["say why when rejecting"]}
    assert benefits.DecisionRequest().load({"approved": True}) == {"approved": True, "reason": ""}


def test_a_provider_tax_id_needs_its_check_digit() -> None:
    assert schemas.ReimbursementForm().load(FORM)["provider_tax_id"] == "45678900049"
    errors = refused(schemas.ReimbursementForm, {**FORM, "provider_tax_id": "45678900048"})
    assert errors == {"provider_tax_id": ["not a valid partita IVA or codice fiscale"]}
    # a codice fiscale names a provider too (a professional without a partita IVA)
    assert schemas.ReimbursementForm().load(
        {**FORM, "provider_tax_id": "rssmra80a01h501u"})["provider_tax_id"] == (
        "RSSMRA80A01H501U")


# Each request schema the gateway shares with a service is the contract's own class,
# or a subclass adding only what is HTTP's own.
SHARED = {
    "CompanyIn": benefits.CompanyRequest, "EmployeeIn": benefits.EmployeeRequest,
    "EmployeeQuery": benefits.EmployeeFilters, "ReimbursementForm": benefits.ReimbursementFields,
    "ProviderIn": catalog.ProviderApplication, "TopupsQuery": wallet.TopupQuery,
}
# what a subclass may add or restate: HTTP's own shape of a field
HTTP_OWN = {"password", "hr_manager", "ids", "amount_cents", "receipt", "method"}


def test_the_gateway_names_no_contract_schema_again() -> None:
    """gateway.schemas holds only what is HTTP's own: no `X = contract.Y`, no
    `import Y as Y`; the routes import the contract's schemas from the contract."""
    tree = ast.parse(Path(schemas.__file__).read_text())
    again = [node.lineno for node in tree.body
             if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute | ast.Name)]
    again += [node.lineno for node in tree.body if isinstance(node, ast.ImportFrom)
              for alias in node.names if alias.asname]
    assert again == []


@pytest.mark.parametrize("name", sorted(SHARED))
def test_the_gateway_declares_no_service_field_twice(name: str) -> None:
    ours, contract = getattr(schemas, name), SHARED[name]
    assert issubclass(ours, contract)
    restated = {field for field, value in ours._declared_fields.items()
                if contract._declared_fields.get(field) is not value}
    assert restated <= HTTP_OWN, restated


def test_a_success_leaves_through_its_response_schema() -> None:
    from gateway.routing import ApiRoute

    route = ApiRoute("GET", "/api/v1/me/vouchers/<voucher_id>", response=responses.VoucherOut)
    body = {"id": "v1", "code": "ABC", "amount_cents": 1000, "internal_note": "not promised"}
    response = route.response_from_result(body)
    assert response.status_code == 200
    assert response.json == {"id": "v1", "code": "ABC", "amount_cents": 1000}
    # a refusal (an idempotent replay of one) is an error body, not the schema's
    refused = route.response_from_result((409, {"error": {"code": "conflict"}}))
    assert refused.json == {"error": {"code": "conflict"}}


def test_moments_the_database_cannot_hold_are_refused_not_failed_on() -> None:
    # found by schemathesis: an offset past PostgreSQL's ±15:59, a cursor past year 9999
    since = wallet.StatementQuery().load({"since": "1147-11-27T08:00:51+17:08"})["since"]
    assert since.utcoffset().total_seconds() == 0  # kept in UTC
    assert refused(wallet.StatementQuery, {"since": "0001-01-01T00:00:00+17:08"}) == {
        "since": ["out of range"]}
    assert refused(wallet.CompanyTopupQuery, {"cursor": "689802600443762847.Tf-5hQS"}) == {
        "cursor": ["not a cursor"]}
    assert wallet.CompanyTopupQuery().load({"cursor": "1764000000000000.t1"})["cursor"]
