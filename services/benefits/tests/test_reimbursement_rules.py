"""Reimbursements in memory (docs/domain.md#reimbursements), the wallet's hold, pay
and release fakes passed in as the service passes its RPC proxy: only categories
the law lets be paid back in cash, a past expense of the employee or a declared
dependant, a receipt that is what it claims and not too large; HR's decision,
a reason when refusing, once. A refused request stores nothing and holds nothing."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

import pytest
from benefits import domain, reimbursements
from benefits.models import Reimbursement
from benefits.schemas import MAX_RECEIPT_BYTES, DecisionRequest, ReimbursementRequest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wecare_common.contract import events
from wecare_common.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from wecare_common.schemas import load

PDF = b"%PDF-1.7\n receipt \n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
TODAY = date.today()


class Store:
    """Receipts kept in a dict (the service's store: the database, or a folder)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        self.files[key] = data

    def get(self, key: str) -> bytes:
        return self.files[key]


class Wallet:
    """The wallet's reimbursement calls; each checks benefits holds no transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.calls: list[tuple[str, Any]] = []

    def _called(self, name: str, arg: Any) -> None:
        assert not self.session.in_transaction(), f"{name} called inside a transaction"
        self.calls.append((name, arg))

    def hold(self, **kw: Any) -> dict[str, Any]:
        self._called("hold", kw)
        return {"plan_id": kw["plan_id"] or "plan-from-the-wallet"}

    def pay(self, reimbursement_id: str) -> None:
        self._called("pay", reimbursement_id)

    def release(self, reimbursement_id: str) -> None:
        self._called("release", reimbursement_id)


@pytest.fixture
def wallet(memory_session: Session) -> Wallet:
    return Wallet(memory_session)


@pytest.fixture
def store() -> Store:
    return Store()


def ask(hr, wallet: Wallet, store: Store, employee: dict, key: str = "k-1",
        **changes: Any) -> dict[str, Any]:
    data = {"category": "education", "spent_on": (TODAY - timedelta(days=3)).isoformat(),
            "provider_tax_id": hr.fake.vat_number(),
            "beneficiary_fiscal_code": employee["fiscal_code"], "amount_cents": 32_000,
            "receipt_content_type": "application/pdf",
            "receipt_base64": base64.b64encode(PDF).decode(), **changes}
    return hr.request(lambda: reimbursements.request(
        hr.session, employee_id=employee["id"], idempotency_key=key,
        data=load(ReimbursementRequest, data), store=store, hold=wallet.hold, today=TODAY))


def decide(hr, wallet: Wallet, reimbursement_id: str, company_id: str | None = None,
           **data: Any) -> dict[str, Any]:
    decision = load(DecisionRequest, data)
    return hr.request(lambda: reimbursements.decide(
        hr.session, company_id=company_id or hr.company_id, reimbursement_id=reimbursement_id,
        approved=decision["approved"], reason=decision["reason"], pay=wallet.pay,
        release=wallet.release))


def nothing_written(hr, wallet: Wallet, store: Store) -> bool:
    return (hr.session.scalar(select(func.count()).select_from(Reimbursement)) == 0
            and wallet.calls == [] and store.files == {}
            and hr.events(events.REIMBURSEMENT_REQUESTED) == [])


# -- a request -------------------------------------------------------------------------
def test_a_request_holds_the_amount_stores_the_receipt_and_is_announced(
        hr, wallet, store) -> None:
    anna = hr.employee()
    asked = ask(hr, wallet, store, anna)
    assert asked["status"] == "requested" and asked["plan_id"] == "plan-from-the-wallet"
    [(name, held)] = wallet.calls
    assert name == "hold" and held["reimbursement_id"] == asked["id"]
    assert held["amount_cents"] == 32_000 and held["category"] == "education"
    [(key, content)] = store.files.items()
    assert key == f"{hr.company_id}/{anna['id']}/{asked['id']}.pdf" and content == PDF
    [event] = hr.events(events.REIMBURSEMENT_REQUESTED)
    assert event["payload"]["id"] == asked["id"] and event["company_id"] == hr.company_id
    receipt = reimbursements.receipt(hr.session, store, company_id=hr.company_id,
                                     reimbursement_id=asked["id"])
    assert base64.b64decode(receipt["content_base64"]) == PDF
    assert receipt["content_type"] == "application/pdf"
    with pytest.raises(NotFound):  # another company's HR does not see it
        reimbursements.receipt(hr.session, store, company_id=hr.company()["id"],
                               reimbursement_id=asked["id"])


def test_asked_again_with_its_key_the_request_is_the_same_one_held_once(
        hr, wallet, store) -> None:
    anna = hr.employee()
    first = ask(hr, wallet, store, anna, key="same")
    again = ask(hr, wallet, store, anna, key="same")
    assert again["id"] == first["id"] and len(wallet.calls) == 1
    assert len(hr.events(events.REIMBURSEMENT_REQUESTED)) == 1


def test_a_category_the_law_does_not_pay_back_in_cash_is_refused(hr, wallet, store) -> None:
    anna = hr.employee()
    with pytest.raises(RuleViolation) as refused:
        ask(hr, wallet, store, anna, category="wellbeing")
    assert set(refused.value.fields) == {"category"} and "voucher" in str(refused.value)
    assert nothing_written(hr, wallet, store)


def test_a_dependant_s_expense_is_reimbursed_a_stranger_s_is_not(hr, wallet, store) -> None:
    child = hr.fake.fiscal_code()
    anna = hr.employee(dependent_children=[child])
    with pytest.raises(RuleViolation) as refused:
        ask(hr, wallet, store, anna, beneficiary_fiscal_code=hr.fake.fiscal_code())
    assert set(refused.value.fields) == {"beneficiary_fiscal_code"}
    assert nothing_written(hr, wallet, store)
    assert ask(hr, wallet, store, anna, beneficiary_fiscal_code=child)["status"] == "requested"


def test_an_expense_in_the_future_is_refused(hr, wallet, store) -> None:
    anna = hr.employee()
    with pytest.raises(InvalidInput) as refused:
        ask(hr, wallet, store, anna, spent_on=(TODAY + timedelta(days=1)).isoformat())
    assert set(refused.value.fields) == {"spent_on"}
    assert nothing_written(hr, wallet, store)


@pytest.fixture
def small_limit(monkeypatch) -> int:  # type: ignore[no-untyped-def]
    """The size limit (5 MiB) made small: the rule checked without megabytes of base64."""
    assert MAX_RECEIPT_BYTES == 5 * 1024 * 1024
    monkeypatch.setattr(reimbursements, "MAX_RECEIPT_BYTES", 1024)
    return 1024


@pytest.mark.parametrize(("changes", "reason"), [
    ({"receipt_base64": "not base64!"}, "receipt_unreadable"),
    ({"receipt_base64": ""}, "receipt_empty"),
    ({"receipt_content_type": "image/png"}, "receipt_not_its_type"),  # a PDF
    ({"receipt_base64": base64.b64encode(PNG).decode()}, "receipt_not_its_type"),
    ({"receipt_base64": base64.b64encode(b"%PDF-" + b"0" * 1020).decode()}, "receipt_too_large"),
])
def test_a_receipt_that_is_not_what_it_claims_or_too_large_is_refused(
        hr, wallet, store, small_limit: int, changes: dict, reason: str) -> None:
    anna = hr.employee()
    with pytest.raises(InvalidInput) as refused:
        ask(hr, wallet, store, anna, **changes)
    assert refused.value.code == reason and set(refused.value.problems) == {"receipt"}
    assert nothing_written(hr, wallet, store)


def test_a_receipt_exactly_at_the_size_limit_is_accepted(hr, wallet, store,
                                                         small_limit: int) -> None:
    anna = hr.employee()
    content = b"%PDF-" + b"0" * (small_limit - 5)
    ask(hr, wallet, store, anna, receipt_base64=base64.b64encode(content).decode())
    assert [len(c) for c in store.files.values()] == [small_limit]


@pytest.mark.parametrize(("changes", "field"), [
    ({"receipt_content_type": "image/gif"}, "receipt_content_type"),
    ({"provider_tax_id": "12345678901"}, "provider_tax_id"),  # check digit wrong
    ({"provider_tax_id": "ABC"}, "provider_tax_id"),
    ({"beneficiary_fiscal_code": "RSSMRA85T10A562X"}, "beneficiary_fiscal_code"),
    ({"amount_cents": 0}, "amount_cents"),
    ({"category": "groceries"}, "category"),
    ({"spent_on": "yesterday"}, "spent_on"),
])
def test_a_request_with_a_bad_field_is_refused_naming_it(hr, wallet, store, changes: dict,
                                                         field: str) -> None:
    anna = hr.employee()
    with pytest.raises(InvalidInput) as refused:
        ask(hr, wallet, store, anna, **changes)
    assert field in refused.value.fields
    assert nothing_written(hr, wallet, store)


def test_a_provider_named_by_its_codice_fiscale_is_accepted(hr, wallet, store) -> None:
    anna = hr.employee()
    asked = ask(hr, wallet, store, anna, provider_tax_id=hr.fake.fiscal_code())
    assert asked["status"] == "requested"


def test_an_employee_who_left_asks_nothing(hr, wallet, store) -> None:
    anna = hr.employee()
    hr.request(lambda: domain.depart(hr.session, hr.company_id, anna["id"], TODAY))
    with pytest.raises(NotFound) as refused:
        ask(hr, wallet, store, anna)
    assert set(refused.value.fields) == {"employee_id"}
    assert nothing_written(hr, wallet, store)


# -- HR's decision ---------------------------------------------------------------------
def test_approving_pays_once_and_is_announced(hr, wallet, store) -> None:
    asked = ask(hr, wallet, store, hr.employee())
    decided = decide(hr, wallet, asked["id"], approved=True)
    assert decided["status"] == "approved" and decided["reason"] is None
    assert decided["decided_at"] is not None
    assert wallet.calls[1:] == [("pay", asked["id"])]
    [event] = hr.events(events.REIMBURSEMENT_APPROVED)
    assert event["payload"]["id"] == asked["id"]
    with pytest.raises(Conflict) as again:
        decide(hr, wallet, asked["id"], approved=False, reason="ci ho ripensato")
    assert again.value.code == "reimbursement_already_decided"
    assert again.value.params == {"status": "approved"}
    assert len(wallet.calls) == 2 and hr.events(events.REIMBURSEMENT_REJECTED) == []


def test_refusing_says_why_and_releases_the_credit(hr, wallet, store) -> None:
    asked = ask(hr, wallet, store, hr.employee())
    for reason in ("", "   "):
        with pytest.raises(InvalidInput) as refused:
            decide(hr, wallet, asked["id"], approved=False, reason=reason)
        assert set(refused.value.fields) == {"reason"}
    assert len(wallet.calls) == 1  # only the hold
    decided = decide(hr, wallet, asked["id"], approved=False, reason="ricevuta illeggibile")
    assert (decided["status"], decided["reason"]) == ("rejected", "ricevuta illeggibile")
    assert wallet.calls[1:] == [("release", asked["id"])]
    [event] = hr.events(events.REIMBURSEMENT_REJECTED)
    assert event["payload"]["reason"] == "ricevuta illeggibile"


def test_only_the_employee_s_company_decides(hr, wallet, store) -> None:
    asked = ask(hr, wallet, store, hr.employee())
    with pytest.raises(NotFound) as refused:
        decide(hr, wallet, asked["id"], company_id=hr.company()["id"], approved=True)
    assert set(refused.value.fields) == {"reimbursement_id"}
    assert len(wallet.calls) == 1
    assert reimbursements.listing(hr.session, company_id=hr.company_id)["items"][0][
        "status"] == "requested"


def test_the_listing_is_newest_first_by_company_employee_and_status(hr, wallet, store) -> None:
    anna, luca = hr.employee(), hr.employee()
    first = ask(hr, wallet, store, anna, key="a")
    second = ask(hr, wallet, store, luca, key="b")
    decide(hr, wallet, first["id"], approved=True)

    def ids(**query: Any) -> list[str]:
        return [r["id"] for r in reimbursements.listing(hr.session, **query)["items"]]

    assert ids(company_id=hr.company_id) == [second["id"], first["id"]]
    assert ids(employee_id=anna["id"]) == [first["id"]]
    assert ids(company_id=hr.company_id, status="requested") == [second["id"]]
    assert ids(company_id=hr.company()["id"]) == []
    page = reimbursements.listing(hr.session, company_id=hr.company_id, limit=1)
    assert ids(company_id=hr.company_id, cursor=page["next_cursor"]) == [first["id"]]


@pytest.mark.parametrize("missing", [None, ""])
def test_no_company_and_no_employee_named_lists_nothing(hr, wallet, store, missing) -> None:
    """No scope is no access (docs/api.md#roles-and-tenants): not every company's."""
    anna = hr.employee()
    mine = ask(hr, wallet, store, anna)
    ask(hr, wallet, store, hr.employee(company_id=hr.company()["id"]), key="other")
    for status in (None, "requested"):
        with pytest.raises(Forbidden) as refused:
            reimbursements.listing(hr.session, company_id=missing, employee_id=missing,
                                   status=status)
        assert (refused.value.code, refused.value.params) == ("scope_missing",
                                                              {"missing": ["company_id"]})
    own = reimbursements.listing(hr.session, company_id=missing, employee_id=anna["id"])
    assert [r["id"] for r in own["items"]] == [mine["id"]]
