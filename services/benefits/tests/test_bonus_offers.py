"""Performance-bonus offers and the employee's choice (docs/domain.md#bonus-offers), in
memory, on a clock the test moves: who may be offered a bonus and until when; the choice,
changeable until the deadline, within the year's room; at the deadline the outcomes
recorded once, the welfare part granted once (by the wallet, with nothing open) within
the year's cap counted across every conversion, the cash part with its substitute tax;
the reminder three days before; crashes and refusals finished by the timer."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from benefits import domain, offers, reports
from benefits.models import BonusChoice, BonusConversion, BonusOffer, Grant
from benefits.schemas import BonusOfferRequest, GrantRequest
from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common import clock, config
from wecare_common.contract import events
from wecare_common.errors import Conflict, InsufficientFunds, InvalidInput, NotFound, RuleViolation
from wecare_common.rpc import ServiceTimeout
from wecare_common.schemas import load

YEAR = 2026
START = datetime(YEAR, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning in Italy
DEADLINE = date(YEAR, 3, 20)


class Clock:
    """The test's hand on wecare_common.clock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, moment: datetime) -> None:
        clock.move(self.path, moment - clock.now())

    def after(self, day: date, minutes: int = 1) -> None:
        """`minutes` after the deadline day's midnight, Italian time."""
        self.set(clock.end_of_day(day) + timedelta(minutes=minutes))


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Clock:
    monkeypatch.setenv(config.DEV_MODE, "1")
    monkeypatch.setenv(config.MOVED_CLOCK, str(tmp_path / "clock"))
    moved = Clock(tmp_path / "clock")
    moved.set(START)
    return moved


class Wallet:
    """The wallet as benefits calls it: keyed by the grant; it may refuse (a fund short)
    or be out of reach after moving the money. Checks nothing is open on the caller."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.moved: dict[str, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.refuse = self.away = False

    def __call__(self, **kw: Any) -> dict[str, Any]:
        assert not self.session.in_transaction(), "the wallet called inside a transaction"
        self.calls.append(kw)
        if self.refuse:
            raise InsufficientFunds("the company fund is short for this grant",
                                    {"amount_cents": ["100 cents missing"]})
        moved = self.moved.setdefault(kw["idempotency_key"], {
            "transaction_id": str(uuid.uuid4()),
            "total_cents": kw["amount_cents"] * len(kw["employee_ids"])})
        if self.away:
            raise ServiceTimeout("the wallet service did not answer within 60s")
        return moved


@pytest.fixture
def wallet(memory_session: Session) -> Wallet:
    return Wallet(memory_session)


@pytest.fixture
def plan(hr) -> dict:
    return hr.plan(name="Welfare 2026", fiscal_year=YEAR, valid_from="2026-01-01",
                   valid_until="2026-12-31", categories=["education", "fringe"])


def offer(hr, plan: dict, key: str | None = None, **changes: Any) -> dict:
    data = {"plan_id": plan["id"], "name": "Premio di risultato 2025",
            "agreement": "Accordo aziendale del 12/02/2026", "amount_cents": 100_000,
            "deadline": DEADLINE.isoformat(), "all": True, **changes}
    return hr.request(lambda: offers.create_offer(hr.session, hr.company_id,
                                                  load(BonusOfferRequest, data),
                                                  key or uuid.uuid4().hex))


def choose(hr, employee: dict, made: dict, welfare_cents: int) -> dict:
    return hr.request(lambda: offers.choose(hr.session, employee["id"], made["id"],
                                            welfare_cents, None))


def deadline_passes(hr, at: Clock, wallet: Wallet, day: date = DEADLINE) -> None:
    at.after(day)
    offers.settle_due(hr.session)
    offers.finish_settling(hr.session, wallet)


def choice_of(hr, made: dict, employee: dict) -> BonusChoice:
    hr.session.expire_all()
    return hr.session.get_one(BonusChoice, (made["id"], employee["id"]))


def counters(hr, employee: dict) -> tuple[int, int]:
    hr.session.expire_all()
    row = hr.session.get(BonusConversion, (employee["id"], YEAR))
    return (row.converted_cents, row.cash_cents) if row else (0, 0)


# -- offering ---------------------------------------------------------------------------------
def test_a_bonus_is_offered_to_every_eligible_employee_of_the_plan_and_each_is_told(
        hr, at, plan) -> None:
    anna = hr.employee(income_band="up_to_80k")
    hr.employee(income_band="over_80k")
    hr.employee(income_band=None)
    made = offer(hr, plan)
    assert (made["employee_count"], made["status"], made["open"]) == (1, "open", True)
    assert made["not_chosen_count"] == 1 and made["welfare_chosen_cents"] == 0
    [told] = hr.events(events.BONUS_OFFERED)
    assert told["payload"]["employee_ids"] == [anna["id"]]
    assert told["payload"]["deadline"] == "2026-03-20"


def test_the_same_key_gives_the_same_offer(hr, at, plan) -> None:
    hr.employee(income_band="up_to_80k")
    first = offer(hr, plan, key="k")
    assert offer(hr, plan, key="k")["id"] == first["id"]
    assert len(hr.events(events.BONUS_OFFERED)) == 1


def test_an_employee_over_the_income_ceiling_cannot_be_offered_one(hr, at, plan) -> None:
    rich = hr.employee(income_band="over_80k")
    with pytest.raises(RuleViolation) as exc:
        offer(hr, plan, all=False, employee_ids=[rich["id"]])
    assert (exc.value.code, exc.value.params) == ("bonus_not_eligible", {
        "income_max_cents": 8_000_000, "employee_ids": [rich["id"]]})
    assert list(exc.value.problems) == ["employee_ids"]
    with pytest.raises(NotFound) as exc:
        offer(hr, plan, all=False, employee_ids=["nobody"])
    assert (exc.value.code, list(exc.value.problems)) == ("not_found", ["employee_ids"])
    with pytest.raises(NotFound) as exc:
        offer(hr, plan)  # nobody eligible
    assert exc.value.code == "nobody_eligible"


@pytest.mark.parametrize(("deadline", "code", "params"), [
    ("2026-03-01", "bonus_deadline_past", {"deadline": "2026-03-01"}),  # yesterday
    # no day left in the year to pay it, or another fiscal year
    ("2026-12-31", "bonus_deadline_outside_year", {"fiscal_year": 2026,
                                                   "last_day": "2026-12-30"}),
    ("2027-01-15", "bonus_deadline_outside_year", {"fiscal_year": 2026,
                                                   "last_day": "2026-12-30"}),
])
def test_a_deadline_must_leave_a_day_of_the_plan_s_year_to_pay_it(
        hr, at, plan, deadline: str, code: str, params: dict) -> None:
    hr.employee(income_band="up_to_80k")
    with pytest.raises(RuleViolation) as exc:
        offer(hr, plan, deadline=deadline)
    assert (exc.value.code, exc.value.params, list(exc.value.problems)) == (
        code, params, ["deadline"])
    assert offer(hr, plan, deadline="2026-03-02")["deadline"] == "2026-03-02"  # today is fine
    assert offer(hr, plan, deadline="2026-12-30")["deadline"] == "2026-12-30"


def test_the_plan_must_still_run_the_day_after_the_deadline(hr, at) -> None:
    hr.employee(income_band="up_to_80k")
    short = hr.plan(fiscal_year=YEAR, valid_from="2026-01-01", valid_until="2026-03-20")
    with pytest.raises(RuleViolation) as exc:
        offer(hr, short)
    assert (exc.value.code, exc.value.params) == ("bonus_deadline_after_plan",
                                                  {"valid_until": "2026-03-20"})
    budgeted = hr.plan(fiscal_year=YEAR, valid_from="2026-01-01", valid_until="2026-12-31",
                       per_employee_budget_cents=50_000)
    with pytest.raises(RuleViolation) as exc:
        offer(hr, budgeted)
    assert (exc.value.code, exc.value.params) == ("bonus_over_plan_budget",
                                                  {"budget_cents": 50_000})


def test_another_company_s_offer_is_not_found(hr, at, plan) -> None:
    hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    other = hr.company()["id"]
    with pytest.raises(NotFound):
        offers.offer_detail(hr.session, other, made["id"])
    assert offers.list_offers(hr.session, other)["items"] == []
    with pytest.raises(NotFound):  # an employee of the company who was not offered it
        offers.my_offer(hr.session, hr.employee()["id"], made["id"], None)


# -- choosing -----------------------------------------------------------------------------------
def test_the_employee_compares_and_converts_60_percent(hr, at, plan) -> None:
    anna = hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    seen = offers.my_offer(hr.session, anna["id"], made["id"], None)
    assert seen["comparison"]["welfare_cents"] == 0
    assert seen["comparison"]["all_cash_net_cents"] == 89_902  # the worked example
    assert (seen["max_welfare_cents"], seen["room_cents"]) == (100_000, 500_000)
    asked = offers.my_offer(hr.session, anna["id"], made["id"], None, welfare_cents=60_000)
    assert asked["comparison"]["cash"]["net_cents"] == 35_961
    assert asked["choice"]["welfare_cents"] is None  # asking is not choosing
    chosen = choose(hr, anna, made, 60_000)
    assert chosen["choice"]["welfare_cents"] == 60_000
    assert chosen["comparison"]["take_home_cents"] == 60_000 + 35_961
    detail = offers.offer_detail(hr.session, hr.company_id, made["id"])
    assert (detail["chosen_count"], detail["welfare_chosen_cents"],
            detail["cash_chosen_cents"]) == (1, 60_000, 40_000)
    assert detail["employees"][0]["welfare_cents"] == 60_000


def test_the_choice_changes_until_midnight_of_the_deadline_then_closes(hr, at, plan) -> None:
    anna = hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    choose(hr, anna, made, 100_000)
    at.set(clock.end_of_day(DEADLINE) - timedelta(seconds=1))  # 23:59:59 in Rome
    assert choose(hr, anna, made, 25_000)["choice"]["welfare_cents"] == 25_000
    at.set(clock.end_of_day(DEADLINE))
    with pytest.raises(Conflict) as exc:
        choose(hr, anna, made, 50_000)
    assert (exc.value.code, exc.value.params) == ("bonus_offer_closed",
                                                  {"deadline": "2026-03-20"})
    assert choice_of(hr, made, anna).welfare_cents == 25_000


def test_a_choice_past_the_bonus_or_the_year_s_room_is_refused_naming_the_room(
        hr, at, plan) -> None:
    anna = hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    with pytest.raises(RuleViolation) as exc:
        choose(hr, anna, made, 100_001)
    assert (exc.value.code, exc.value.params) == ("bonus_over_amount",
                                                  {"amount_cents": 100_000})
    hr.session.add(BonusConversion(employee_id=anna["id"], year=YEAR, converted_cents=430_000,
                                   cash_cents=20_000))  # 4,500 of this year's 5,000 used
    hr.session.commit()
    with pytest.raises(RuleViolation) as exc:
        choose(hr, anna, made, 50_001)
    assert (exc.value.code, exc.value.params) == ("bonus_cap_exceeded", {
        "cap_cents": 500_000, "room_cents": 50_000})
    assert list(exc.value.problems) == ["welfare_cents"]
    assert choose(hr, anna, made, 50_000)["choice"]["welfare_cents"] == 50_000
    with pytest.raises(InvalidInput):
        load(BonusOfferRequest, {"plan_id": plan["id"], "name": "x", "agreement": "acc",
                                 "amount_cents": 100, "deadline": "2026-03-20"})  # nobody


def test_the_room_counts_the_welfare_chosen_in_the_employee_s_other_open_offers(
        hr, at, plan) -> None:
    anna = hr.employee(income_band="up_to_80k")
    first = offer(hr, plan, amount_cents=300_000)
    second = offer(hr, plan, amount_cents=300_000)
    choose(hr, anna, first, 300_000)
    with pytest.raises(RuleViolation) as exc:
        choose(hr, anna, second, 200_001)
    assert exc.value.params["room_cents"] == 200_000
    assert offers.my_offer(hr.session, anna["id"], second["id"], None)[
        "max_welfare_cents"] == 200_000


def test_an_employee_no_longer_eligible_may_take_only_cash(hr, at, plan) -> None:
    anna = hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    hr.session.execute(domain.update(domain.Employee).where(domain.Employee.id == anna["id"])
                       .values(income_band="over_80k"))
    hr.session.commit()
    with pytest.raises(RuleViolation) as exc:
        choose(hr, anna, made, 1)
    assert (exc.value.code, exc.value.params) == ("bonus_welfare_not_eligible",
                                                  {"income_max_cents": 8_000_000})
    assert choose(hr, anna, made, 0)["choice"]["welfare_cents"] == 0


# -- the deadline -----------------------------------------------------------------------------
def test_at_the_deadline_the_welfare_part_is_granted_once_and_the_cash_has_its_tax(
        hr, at, plan, wallet) -> None:
    anna, luca = hr.employee(income_band="up_to_80k"), hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    choose(hr, anna, made, 60_000)
    offers.settle_due(hr.session)
    offers.finish_settling(hr.session, wallet)
    assert wallet.calls == []  # not before midnight
    deadline_passes(hr, at, wallet)
    [call] = wallet.calls
    assert (call["employee_ids"], call["amount_cents"]) == ([anna["id"]], 60_000)
    assert call["plan"]["id"] == plan["id"]
    mine = choice_of(hr, made, anna)
    assert (mine.outcome, mine.granted_welfare_cents, mine.cash_cents) == (
        "as_chosen", 60_000, 40_000)
    assert (mine.contributions_cents, mine.substitute_tax_base_cents,
            mine.substitute_tax_cents, mine.ordinary_cents) == (3_676, 36_324, 363, 0)
    his = choice_of(hr, made, luca)  # no choice: cash
    assert (his.outcome, his.granted_welfare_cents, his.cash_cents,
            his.substitute_tax_cents) == ("no_choice", 0, 100_000, 908)
    assert counters(hr, anna) == (60_000, 40_000) and counters(hr, luca) == (0, 100_000)
    [settled] = hr.events(events.BONUS_SETTLED)
    assert {r["employee_id"]: (r["welfare_cents"], r["cash_cents"])
            for r in settled["payload"]["results"]} == {anna["id"]: (60_000, 40_000),
                                                        luca["id"]: (0, 100_000)}
    [granted] = hr.events(events.CREDITS_GRANTED)
    assert granted["payload"]["offer_id"] == made["id"]
    # the timer again, and again: nothing more
    deadline_passes(hr, at, wallet)
    at.set(clock.now() + timedelta(days=2))
    deadline_passes(hr, at, wallet, day=date(YEAR, 3, 23))
    assert len(wallet.calls) == 1 and len(hr.events(events.BONUS_SETTLED)) == 1
    assert counters(hr, anna) == (60_000, 40_000)
    view = offers.offer_detail(hr.session, hr.company_id, made["id"])
    assert (view["status"], view["welfare_granted_cents"], view["cash_paid_cents"],
            view["substitute_tax_cents"]) == ("settled", 60_000, 140_000, 363 + 908)


def test_employees_who_chose_the_same_amount_share_one_grant(hr, at, plan, wallet) -> None:
    people = [hr.employee(income_band="up_to_80k") for _ in range(3)]
    made = offer(hr, plan)
    for person, welfare in zip(people, (60_000, 60_000, 100_000), strict=True):
        choose(hr, person, made, welfare)
    deadline_passes(hr, at, wallet)
    assert sorted((c["amount_cents"], len(c["employee_ids"])) for c in wallet.calls) == [
        (60_000, 2), (100_000, 1)]


def test_the_cap_is_counted_again_at_the_deadline_across_every_conversion(
        hr, at, plan, wallet) -> None:
    """Chosen within the room; meanwhile a direct conversion by HR took most of it: at
    the deadline the welfare part is what room is left, the rest goes to cash."""
    anna = hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    choose(hr, anna, made, 100_000)
    hr.request(lambda: domain.grant_credits(
        hr.session, company_id=hr.company_id, plan_id=plan["id"], idempotency_key="direct",
        wallet_grant=wallet, data=load(GrantRequest, {
            "amount_cents": 470_000, "employee_ids": [anna["id"]],
            "source": "performance_bonus", "choice_record": "Modulo firmato 3/2026"})))
    deadline_passes(hr, at, wallet)
    mine = choice_of(hr, made, anna)
    assert (mine.outcome, mine.granted_welfare_cents, mine.cash_cents) == (
        "limited", 30_000, 70_000)
    # 30,000 was the room: none is left for the substitute tax, so the cash is ordinary
    assert (mine.at_substitute_tax_cents, mine.ordinary_cents) == (0, 70_000)
    assert counters(hr, anna) == (500_000, 0)


def test_the_year_s_cash_at_the_substitute_tax_counts_against_the_cap(hr, at, plan,
                                                                     wallet) -> None:
    anna = hr.employee(income_band="up_to_80k")
    first = offer(hr, plan, amount_cents=450_000, deadline="2026-03-10")
    deadline_passes(hr, at, wallet, day=date(YEAR, 3, 10))  # all cash: 4,500 of the room
    assert counters(hr, anna) == (0, 450_000)
    second = offer(hr, plan, amount_cents=100_000, deadline="2026-03-25")
    assert offers.my_offer(hr.session, anna["id"], second["id"], None)[
        "max_welfare_cents"] == 50_000
    assert choice_of(hr, first, anna).substitute_tax_cents == 4_086  # 1% of 408,645


def test_a_leaver_s_bonus_is_paid_in_cash(hr, at, plan, wallet) -> None:
    anna = hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    choose(hr, anna, made, 60_000)
    hr.request(lambda: domain.depart(hr.session, hr.company_id, anna["id"], DEADLINE))
    deadline_passes(hr, at, wallet)
    mine = choice_of(hr, made, anna)
    assert (mine.outcome, mine.granted_welfare_cents, mine.cash_cents) == ("left", 0, 100_000)
    assert wallet.calls == []
    assert offers.offer_detail(hr.session, hr.company_id, made["id"])["status"] == "settled"


def test_a_wallet_out_of_reach_leaves_it_settling_and_the_timer_finishes_it(
        hr, at, plan, wallet) -> None:
    anna = hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    choose(hr, anna, made, 60_000)
    wallet.away = True  # it moved the money, and the answer was lost
    deadline_passes(hr, at, wallet)
    assert offers.offer_detail(hr.session, hr.company_id, made["id"])["status"] == "settling"
    assert hr.events(events.BONUS_SETTLED) == []
    wallet.away = False
    offers.finish_settling(hr.session, wallet)
    assert offers.offer_detail(hr.session, hr.company_id, made["id"])["status"] == "settled"
    assert len(wallet.moved) == 1  # the same key both times: moved once
    assert len(hr.events(events.BONUS_SETTLED)) == 1


def test_a_fund_short_keeps_the_choice_pending_never_forgotten(hr, at, plan, wallet) -> None:
    anna = hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    choose(hr, anna, made, 60_000)
    wallet.refuse = True
    deadline_passes(hr, at, wallet)
    detail = offers.offer_detail(hr.session, hr.company_id, made["id"])
    assert (detail["status"], detail["grants_waiting"]) == ("settling", 1)
    assert detail["employees"][0]["waiting"] is True
    assert "fund is short" in detail["employees"][0]["problem"]
    assert counters(hr, anna) == (60_000, 40_000)  # the room stays taken
    # the older-grants timer does not forget it either
    hr.session.execute(domain.update(Grant).values(created_at=START))
    hr.session.commit()
    domain.finish_pending_grants(hr.session, wallet)
    assert hr.session.scalar(select(Grant.status).where(Grant.offer_id == made["id"])) == (
        "pending")
    wallet.refuse = False  # HR topped up
    offers.finish_settling(hr.session, wallet)
    assert offers.offer_detail(hr.session, hr.company_id, made["id"])["status"] == "settled"


def test_the_outcomes_are_recorded_before_the_wallet_is_asked(hr, at, plan,
                                                             memory_factory) -> None:
    anna = hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    choose(hr, anna, made, 60_000)

    def wallet_that_reads(**kw: Any) -> dict[str, Any]:
        with memory_factory() as other:
            assert other.scalar(select(BonusOffer.status).where(
                BonusOffer.id == made["id"])) == "settling"
            assert other.scalar(select(BonusChoice.granted_welfare_cents).where(
                BonusChoice.employee_id == anna["id"])) == 60_000
        raise ServiceTimeout("crash after the record")

    deadline_passes(hr, at, wallet_that_reads)  # type: ignore[arg-type]


# -- the reminder -------------------------------------------------------------------------------
def test_three_days_before_the_deadline_each_employee_is_reminded_once(hr, at, plan) -> None:
    anna, luca = hr.employee(income_band="up_to_80k"), hr.employee(income_band="up_to_80k")
    made = offer(hr, plan)
    choose(hr, anna, made, 60_000)
    at.set(clock.end_of_day(DEADLINE - timedelta(days=4)) - timedelta(minutes=1))
    assert offers.remind_due(hr.session) == 0
    at.set(clock.end_of_day(DEADLINE - timedelta(days=4)) + timedelta(minutes=1))  # the 17th
    assert offers.remind_due(hr.session) == 1
    assert offers.remind_due(hr.session) == 0
    [reminded] = hr.events(events.BONUS_REMINDED)
    assert {e["employee_id"]: e["welfare_cents"] for e in reminded["payload"]["employees"]} == {
        anna["id"]: 60_000, luca["id"]: None}


def test_an_offer_made_within_the_last_three_days_is_not_reminded(hr, at, plan) -> None:
    hr.employee(income_band="up_to_80k")
    at.set(datetime(YEAR, 3, 18, 9, 0, tzinfo=UTC))
    offer(hr, plan)
    offers.remind_due(hr.session)
    assert hr.events(events.BONUS_REMINDED) == []


# -- HR's direct conversion, and the payroll report -------------------------------------
def test_hr_converts_directly_only_saying_where_the_written_choice_is_recorded(hr) -> None:
    with pytest.raises(InvalidInput) as exc:
        load(GrantRequest, {"amount_cents": 100, "all": True, "source": "performance_bonus"})
    assert exc.value.problems["choice_record"] == [
        {"code": "bonus_choice_record_required", "params": {}}]
    assert load(GrantRequest, {"amount_cents": 100, "all": True})["choice_record"] is None


def test_the_payroll_report_shows_the_cash_part_with_its_substitute_tax(hr, at, plan,
                                                                       wallet) -> None:
    anna = hr.employee(income_band="up_to_80k", last_name="Verdi")
    made = offer(hr, plan)
    choose(hr, anna, made, 60_000)
    deadline_passes(hr, at, wallet)
    report = reports.fiscal_report(hr.session, hr.company_id, YEAR, usage=[])
    [bonus] = report["bonuses"]
    assert (bonus["last_name"], bonus["granted_welfare_cents"], bonus["cash_cents"],
            bonus["contributions_cents"], bonus["substitute_tax_cents"], bonus["paid_on"]) == (
        "Verdi", 60_000, 40_000, 3_676, 363, "2026-03-21")
    assert report["bonus_totals"]["cash_cents"] == 40_000
    lines = reports.as_csv(report).splitlines()
    assert lines[0].endswith(";substitute_tax_base_cents;substitute_tax_cents")
    assert any(";performance_bonus_cash;40000;0;0;0;36324;363" in line for line in lines)
    assert lines[-1].startswith("TOTAL;") and lines[-1].endswith(";36324;363")
    assert reports.fiscal_report(hr.session, hr.company_id, YEAR - 1, usage=[])[
        "bonuses"] == []
