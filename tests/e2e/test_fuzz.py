"""Schemathesis against /api/v1/openapi.json (the fuzzing line of issues #7 and
#14): generated requests to every operation, signed in with a role it allows; no
5xx, and every response as documented (the gateway dumps each success through
its response schema, so the document is what leaves). Then chains: the ids one
operation returns feed the next (OpenAPI links, those declared below and those
schemathesis infers), so a plan is changed and granted, an offering bought, a
voucher cancelled or redeemed, a reimbursement decided. Bounded: EXAMPLES per
operation, SCENARIOS chains of up to STEPS calls."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from stdnum import luhn
from stdnum.it import codicefiscale
from support.e2e import Company, approved_provider, create_network, funded_employee

EXAMPLES = 8
SCENARIOS, STEPS = 30, 8
# What the issue asks: no 5xx, and every response as documented. (The schema
# cannot say that a codice fiscale needs its check character, so "schema-valid
# data is accepted" is not one of them.)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
SKIP = {"/api/v1/auth/logout"}  # would end the session the other cases use

# Italian identifiers with their check characters, for the formats the document names
# (random strings would meet only the refusal of a wrong check digit).
_CF_BASE = st.tuples(st.text("BCDFGHLMNPRSTVZ", min_size=6, max_size=6), st.integers(50, 99),
                     st.sampled_from("ABCDEHLMPRST"), st.integers(1, 28)).map(
    lambda p: f"{p[0]}{p[1]}{p[2]}{p[3]:02d}L219")
schemathesis.openapi.format("codice-fiscale", _CF_BASE.map(
    lambda base: base + codicefiscale.calc_check_digit(base)))
schemathesis.openapi.format("partita-iva", st.tuples(
    st.integers(0, 9_999_999), st.integers(1, 100)).map(
    lambda p: f"{p[0]:07d}{p[1]:03d}" + luhn.calc_check_digit(f"{p[0]:07d}{p[1]:03d}")))
schemathesis.openapi.format("iban", st.sampled_from(["IT60X0542811101000000123456",
                                                     "DE89370400440532013000"]))

# How ids chain (operationId → the operations its success feeds, and from where).
_ID = "$response.body#/id"
LINKS: dict[str, dict[str, dict[str, Any]]] = {
    "create_company": {"get_company": {"parameters": {"cid": _ID}}},
    "add_employee": {op: {"parameters": {"cid": "$request.path.cid", "eid": _ID}}
                     for op in ("employee_departure", "resend_invitation")},
    "create_plan": {op: {"parameters": {"pid": _ID}}
                    for op in ("change_plan", "check_grant", "grant_credits")},
    "publish_offering": {
        **{op: {"parameters": {"vid": "$request.path.vid", "oid": _ID}}
           for op in ("update_offering", "withdraw_offering")},
        "offering": {"parameters": {"oid": _ID}},
        "buy_voucher": {"requestBody": {"offering_id": _ID}}},
    "buy_voucher": {
        **{op: {"parameters": {"voucher_id": _ID}}
           for op in ("my_voucher", "cancel_voucher", "voucher_qr")},
        "redeem_voucher": {"requestBody": {"code": "$response.body#/code"}}},
    "request_reimbursement": {
        "decide_reimbursement": {"parameters": {"rid": _ID}},
        "reimbursement_receipt": {"parameters": {"rid": _ID}}},
    "request_topup": {"confirm_topup": {"parameters": {"tid": _ID}}},
    "run_settlement": {op: {"parameters": {"sid": _ID}}
                       for op in ("settlement_run", "settlement_sepa")},
    "enrol_provider": {"decide_provider": {"parameters": {"vid": _ID}}},
}


@pytest.fixture(scope="module")
def fuzzed(stack, admin, fake):  # type: ignore[no-untyped-def]
    """A company with a funded employee, an approved provider with an offering; the
    tokens of each role and the ids a signed-in caller owns."""
    email = fake.email("fuzz-hr")
    r = stack.call("POST", "/companies", admin, json={
        "name": "Fuzz", "vat_number": fake.vat_number(),
        "hr_manager": {"email": email, "first_name": "F", "last_name": "Z",
                       "password": "fuzz-hr-password"}})
    company = Company(r.json()["id"], stack.token(email, "fuzz-hr-password"), email)
    _, employee_token, _ = funded_employee(stack, admin, company, fake, 500_000,
                                           categories=["education", "fringe"])
    provider = approved_provider(stack, admin, fake)
    network = create_network(stack, admin, fake)
    tokens = {"admin": admin, "hr": company.hr, "employee": employee_token,
              "provider": provider.token, "network": network.token}
    # a path naming the caller's own company, provider or network reaches the handler's
    # rules
    own = {"hr": {"cid": company.id}, "admin": {}, "employee": {},
           "provider": {"vid": provider.id}, "network": {"netid": network.id}}
    return tokens, own


@pytest.fixture(scope="module")
def schema(stack):  # type: ignore[no-untyped-def]
    spec = requests.get(f"{stack.url}/api/v1/openapi.json", timeout=10).json()
    by_id = {op["operationId"]: op for path in spec["paths"].values() for op in path.values()}
    for source, targets in LINKS.items():
        success = next(code for code in by_id[source]["responses"] if code.startswith("2"))
        by_id[source]["responses"][success]["links"] = {
            f"to_{target}": {"operationId": target, **link} for target, link in targets.items()}
    loaded = schemathesis.openapi.from_dict({**spec, "servers": [{"url": stack.url}]})
    return loaded.exclude(path=sorted(SKIP))


def _role(operation) -> str | None:  # type: ignore[no-untyped-def]
    roles = operation.definition.raw.get("x-roles")
    return roles[0] if roles else None


def _prepare(case, tokens: dict, own: dict) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The caller's token, and its own ids in the path where the operation's role
    owns them."""
    role = _role(case.operation)
    if role is None:
        return {}
    for name, value in own[role].items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    return {"Authorization": f"Bearer {tokens[role]}"}


def test_no_server_errors_and_responses_as_documented(stack, fuzzed, schema) -> None:  # type: ignore[no-untyped-def]
    tokens, own = fuzzed
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case) -> None:  # type: ignore[no-untyped-def]
            headers = _prepare(case, tokens, own)
            case.call_and_validate(base_url=stack.url, headers=headers, timeout=30,
                                   checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - collected, reported together
            failures[f"{operation.method.upper()} {operation.path}"] = str(exc)[:600]
    assert operations >= 45
    assert failures == {}


def test_chained_operations_as_documented(stack, fuzzed, schema) -> None:  # type: ignore[no-untyped-def]
    tokens, own = fuzzed
    # valid requests only: a chain goes deeper when each step is accepted (the
    # refusals of invalid input are the first test's)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    base = schema.as_state_machine()
    found: list[str] = []

    class Chains(base):  # type: ignore[valid-type, misc]
        def get_call_kwargs(self, case) -> dict[str, Any]:  # type: ignore[no-untyped-def]
            return {"base_url": stack.url, "headers": _prepare(case, tokens, own),
                    "timeout": 30}

        def validate_response(self, response, case, additional_checks=None,  # type: ignore[no-untyped-def]
                              **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except Exception as exc:
                found.append(f"{case.method} {case.path}: {str(exc)[:600]}")
                raise

    try:
        # generated, not shrunk: a chain replayed meets a server whose state moved on
        Chains.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS,
                                     deadline=None, database=None, phases=[Phase.generate],
                                     suppress_health_check=list(HealthCheck)))
    except Flaky:
        # the same: Hypothesis saw a chain go differently the second time (the server's
        # state, not the generator); like schemathesis' own runner, judge the run by the
        # failures it recorded
        pass
    assert found == []
