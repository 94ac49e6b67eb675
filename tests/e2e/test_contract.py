"""The rules the gateway's own copies of the service schemas had lost (issue 14),
through HTTP: each is refused by the gateway, 400 naming the field. Each request
is made so that, had the gateway let it through, the answer would differ (another
company's path, an unknown plan, reimbursement or offering: 404; no receipt
attached: the handler's own 400 on `receipt`): the refusal is the gateway's
validation, before any handler or service."""

from __future__ import annotations

from datetime import date, timedelta

from support.e2e import add_employee, approved_provider

TODAY = date.today()


def refused_naming(response, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.text
    assert field in response.json()["error"]["fields"], response.text


def test_a_plan_ending_before_it_starts(stack, company) -> None:  # type: ignore[no-untyped-def]
    body = {"name": "Welfare", "fiscal_year": TODAY.year, "valid_from": TODAY.isoformat(),
            "valid_until": (TODAY - timedelta(days=1)).isoformat(),
            "categories": ["education"], "leftover_policy": "return_to_fund"}
    refused_naming(stack.call("POST", "/companies/another-company/plans", company.hr,
                              json=body), "valid_until")
    valid = {**body, "valid_until": (TODAY + timedelta(days=30)).isoformat()}
    assert stack.call("POST", "/companies/another-company/plans", company.hr,
                      json=valid).status_code == 404


def test_a_grant_names_its_employees_or_all_once_each(stack, company) -> None:  # type: ignore[no-untyped-def]
    for n, body in enumerate([{}, {"employee_ids": ["e1"], "all": True},
                              {"employee_ids": ["e1", "e1"]}]):
        refused_naming(stack.call("POST", "/plans/no-such-plan/grants", company.hr,
                                  key=f"contract-{n}-{company.id}",
                                  json={"amount_cents": 100, **body}), "employee_ids")
    r = stack.call("POST", "/plans/no-such-plan/grants", company.hr, key=f"ok-{company.id}",
                   json={"amount_cents": 100, "all": True})
    assert r.status_code == 404, r.text


def test_an_offering_valid_until_before_valid_from(stack, admin, fake) -> None:  # type: ignore[no-untyped-def]
    provider = approved_provider(stack, admin, fake)
    dates = {"valid_from": "2026-05-01", "valid_until": "2026-04-30"}
    refused_naming(stack.call("POST", "/providers/another-provider/offerings", provider.token,
                              json={"title": "Retta", "category": "education",
                                    "price_cents": 100, **dates}), "valid_until")
    refused_naming(stack.call("PATCH", f"/providers/{provider.id}/offerings/no-such-offering",
                              provider.token, json=dates), "valid_until")
    assert stack.call("PATCH", f"/providers/{provider.id}/offerings/no-such-offering",
                      provider.token, json={"title": "Retta"}).status_code == 404


def test_a_search_point_needs_both_lat_and_lon(stack, company) -> None:  # type: ignore[no-untyped-def]
    for point in ({"lat": "45.07"}, {"lon": "7.69"}):
        refused_naming(stack.call("GET", "/offerings", company.hr, params=point), "lat")
    assert stack.call("GET", "/offerings", company.hr,
                      params={"lat": "45.07", "lon": "7.69"}).status_code == 200


def test_refusing_a_reimbursement_says_why(stack, company) -> None:  # type: ignore[no-untyped-def]
    refused_naming(stack.call("POST", "/reimbursements/no-such-request/decision", company.hr,
                              key=f"no-{company.id}", json={"approved": False}), "reason")
    r = stack.call("POST", "/reimbursements/no-such-request/decision", company.hr,
                   key=f"why-{company.id}", json={"approved": False, "reason": "illeggibile"})
    assert r.status_code == 404, r.text


def test_a_provider_tax_id_needs_its_check_digit(stack, company, fake) -> None:  # type: ignore[no-untyped-def]
    employee = add_employee(stack, company, fake)
    token = stack.token(employee["email"], employee["password"])
    form = {"amount_cents": "12000", "category": "education",
            "spent_on": (TODAY - timedelta(days=3)).isoformat(),
            "beneficiary_fiscal_code": employee["fiscal_code"]}
    # no receipt attached: a form the gateway let through would be refused on `receipt`
    r = stack.call("POST", "/me/reimbursements", token, key=f"tax-{employee['id']}",
                   data={**form, "provider_tax_id": "45678900048"},
                   files={"unrelated": ("x.txt", b"x", "text/plain")})
    refused_naming(r, "provider_tax_id")
    r = stack.call("POST", "/me/reimbursements", token, key=f"tax-ok-{employee['id']}",
                   data={**form, "provider_tax_id": "45678900049"},
                   files={"unrelated": ("x.txt", b"x", "text/plain")})
    assert r.status_code == 400 and set(r.json()["error"]["fields"]) == {"receipt"}, r.text
