"""What an estimate assumes (docs/fiscal-rules.md#estimates): the company's figures or the
published defaults, the employee's own income or the company's band, said with the figure."""

from __future__ import annotations

import pytest
from benefits import estimates
from benefits.schemas import EstimateSettingsRequest, WorthRequest
from wecare_common.errors import InvalidInput, NotFound
from wecare_common.schemas import load


def worth(hr, employee_id: str, **data) -> dict:
    return estimates.worth_for(hr.session, employee_id, load(WorthRequest, {
        "year": 2026, **data}))


def test_a_company_starts_with_the_published_defaults(hr) -> None:
    view = estimates.estimate_settings(hr.session, hr.company_id)
    assert (view["inps_employee_bps"], view["surcharges_bps"], view["band"]) == (
        919, 203, "up_to_28k")
    assert view["inps_employee_default"] and view["surcharges_default"] and view["band_default"]
    assert view["band_income_cents"] == 2_000_000


def test_hr_sets_its_own_figures_and_null_brings_the_default_back(hr) -> None:
    change = {"inps_employee_bps": 949, "surcharges_bps": 250, "band": "28k_50k"}
    view = hr.request(lambda: estimates.change_estimate_settings(
        hr.session, hr.company_id, load(EstimateSettingsRequest, change)))
    assert (view["inps_employee_bps"], view["surcharges_bps"], view["band"]) == (
        949, 250, "28k_50k")
    assert not view["inps_employee_default"] and view["band_income_cents"] == 3_500_000
    view = hr.request(lambda: estimates.change_estimate_settings(
        hr.session, hr.company_id, load(EstimateSettingsRequest, {"inps_employee_bps": None})))
    assert view["inps_employee_bps"] == 919 and view["inps_employee_default"]
    assert view["band"] == "up_to_28k"


@pytest.mark.parametrize(("field", "value"), [
    ("inps_employee_bps", 2_001), ("inps_employee_bps", -1), ("surcharges_bps", 501),
    ("band", "rich"), ("inps_employee_bps", 9.19)])
def test_figures_out_of_range_are_refused_naming_the_field(field: str, value) -> None:
    with pytest.raises(InvalidInput) as exc:
        load(EstimateSettingsRequest, {field: value})
    assert field in exc.value.fields


def test_without_the_employee_s_figure_the_company_band_is_assumed_and_said(hr) -> None:
    employee = hr.employee()
    result = worth(hr, employee["id"], amount_cents=100_000)
    assert result["estimate"] == {"year": 2026, "source": "company_band", "band": "up_to_28k",
                                  "income_cents": 2_000_000, "inps_employee_bps": 919,
                                  "surcharges_bps": 203, "marginal_irpef_bps": 2_300}
    assert result["as_salary_net_cents"] == 100_000 - 9_190 - 20_886 - 1_843


def test_the_employee_s_own_income_is_used_when_given(hr) -> None:
    employee = hr.employee()
    result = worth(hr, employee["id"], amount_cents=100_000, income_cents=3_500_000)
    assert result["estimate"]["source"] == "employee"
    assert result["estimate"]["band"] is None
    assert result["estimate"]["marginal_irpef_bps"] == 3_300
    assert result["as_salary_net_cents"] == 59_000
    assert result["saving_cents"] == 41_000


def test_the_company_s_figures_change_the_estimate(hr) -> None:
    employee = hr.employee()
    hr.request(lambda: estimates.change_estimate_settings(hr.session, hr.company_id, load(
        EstimateSettingsRequest, {"inps_employee_bps": 949, "surcharges_bps": 0})))
    result = worth(hr, employee["id"], amount_cents=100_000, income_cents=3_500_000)
    assert result["pension_contributions_cents"] == 9_490
    assert result["as_salary_net_cents"] == 100_000 - 9_490 - 29_868  # no surcharges


def test_a_purchase_s_treatment_comes_with_its_worth(hr) -> None:
    employee = hr.employee()
    result = worth(hr, employee["id"], amount_cents=30_000, category="fringe",
                   fringe_room_cents=50_000)
    assert result["treatment"]["kind"] == "fringe"
    assert result["treatment"]["room_after_cents"] == 20_000
    assert worth(hr, employee["id"], amount_cents=30_000, category="education")[
        "treatment"] == {"kind": "exempt", "legal_basis": "TUIR art. 51 c.2 f-bis"}
    assert worth(hr, employee["id"], amount_cents=30_000)["treatment"] is None


def test_an_unknown_employee_is_not_found(hr) -> None:
    with pytest.raises(NotFound):
        worth(hr, "nobody", amount_cents=1)


def test_the_year_in_salary_terms_with_each_use_s_treatment(hr) -> None:
    from benefits.schemas import WorthSummaryRequest

    employee = hr.employee()
    year = estimates.summary(hr.session, employee["id"], load(WorthSummaryRequest, {
        "year": 2026, "received_cents": 100_000, "income_cents": 3_500_000,
        "used": [{"category": "education", "amount_cents": 20_000},
                 {"category": "fringe", "amount_cents": 120_000}]}))
    assert year["worth"]["as_salary_net_cents"] == 59_000
    assert year["used_cents"] == 140_000 and year["fringe_limit_cents"] == 100_000
    kinds = {u["category"]: u["treatment"]["kind"] for u in year["used"]}
    assert kinds == {"education": "exempt", "fringe": "taxable"}  # 1,200 over a 1,000 limit
    assert (year["converted_cents"], year["bonuses"]) == (0, [])
