"""Who hears of a performance-bonus offer (docs/events.md#catalogue): each employee
offered it, its reminder, its result; the welfare part's own credits.granted says
nothing more (the result says it)."""

from __future__ import annotations

from notifications.routes import messages
from wecare_common.contract import events

OFFER = {"offer_id": "o-1", "name": "Premio", "amount_cents": 100_000,
         "deadline": "2026-03-20", "plan_name": "Welfare", "plan_id": "p-1"}


def test_the_offer_goes_to_each_employee_offered_it() -> None:
    told = messages(events.BONUS_OFFERED, {**OFFER, "employee_ids": ["a", "b"]}, "c-1")
    assert [(m.recipient, m.kind, m.essential) for m in told] == [
        ("employee:a", "bonus_offered", True), ("employee:b", "bonus_offered", True)]
    assert told[0].context["offer_name"] == "Premio"


def test_the_reminder_carries_each_employee_s_own_choice() -> None:
    told = messages(events.BONUS_REMINDED, {**OFFER, "employees": [
        {"employee_id": "a", "welfare_cents": None},
        {"employee_id": "b", "welfare_cents": 60_000}]}, "c-1")
    assert [(m.recipient, m.context["welfare_cents"]) for m in told] == [
        ("employee:a", None), ("employee:b", 60_000)]


def test_the_result_tells_each_employee_theirs() -> None:
    told = messages(events.BONUS_SETTLED, {**OFFER, "valid_until": "2026-12-31", "results": [
        {"employee_id": "a", "outcome": "as_chosen", "welfare_cents": 60_000,
         "cash_cents": 40_000, "substitute_tax_cents": 363, "ordinary_cents": 0}]}, "c-1")
    assert [(m.recipient, m.kind) for m in told] == [("employee:a", "bonus_result")]
    assert told[0].context["cash_cents"] == 40_000


def test_a_bonus_s_welfare_grant_is_not_told_twice() -> None:
    grant = {"grant_id": "g", "plan_name": "Welfare", "valid_until": "2026-12-31",
             "amount_cents": 60_000, "employee_ids": ["a"], "source": "performance_bonus"}
    assert messages(events.CREDITS_GRANTED, {**grant, "offer_id": "o-1"}, "c-1") == []
    assert len(messages(events.CREDITS_GRANTED, {**grant, "offer_id": None}, "c-1")) == 1
