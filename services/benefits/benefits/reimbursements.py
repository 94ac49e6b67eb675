"""Reimbursement requests (docs/domain.md#reimbursements): a receipt naming the
beneficiary, the provider and the payment; only categories the law lets be paid back in cash.
The amount is held from the employee's credit at once; HR approves (paid with
the next payroll) or rejects (the credit returns)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common.contract import events, refusals
from wecare_common.outbox import record_event
from wecare_common.scope import require_scope

from benefits import fiscal_rules
from benefits.models import Employee, Reimbursement
from benefits.schemas import MAX_RECEIPT_BYTES
from benefits.storage import ReceiptStore

PRODUCER = "benefits"
NAMESPACE = uuid.UUID("5e0b4a1c-8f57-4f52-a8b2-3c1b1d7c2e90")
# What each declared type must start with: a file is what it claims, or refused.
MAGIC = {"application/pdf": (b"%PDF-",), "image/png": (b"\x89PNG\r\n\x1a\n",),
         "image/jpeg": (b"\xff\xd8\xff",)}
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def view(r: Reimbursement) -> dict[str, Any]:
    return {"id": r.id, "employee_id": r.employee_id, "company_id": r.company_id,
            "plan_id": r.plan_id, "category": r.category, "amount_cents": r.amount_cents,
            "spent_on": r.spent_on.isoformat(), "provider_tax_id": r.provider_tax_id,
            "beneficiary_fiscal_code": r.beneficiary_fiscal_code, "status": r.status,
            "reason": r.reason, "receipt_content_type": r.receipt_content_type,
            "created_at": r.created_at.isoformat(),
            "decided_at": r.decided_at.isoformat() if r.decided_at else None}


def _receipt(data: dict[str, Any]) -> bytes:
    try:
        content = base64.b64decode(data["receipt_base64"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise refusals.RECEIPT_UNREADABLE(field="receipt") from exc
    if not content:
        raise refusals.RECEIPT_EMPTY(field="receipt")
    if len(content) > MAX_RECEIPT_BYTES:
        raise refusals.RECEIPT_TOO_LARGE(max_bytes=MAX_RECEIPT_BYTES, field="receipt")
    if not content.startswith(MAGIC[data["receipt_content_type"]]):
        raise refusals.RECEIPT_NOT_ITS_TYPE(content_type=data["receipt_content_type"],
                                            field="receipt")
    return content


def request(session: Session, *, employee_id: str, idempotency_key: str,
            data: dict[str, Any], store: ReceiptStore,
            hold: Callable[..., dict[str, Any]], today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    reimbursement_id = str(uuid.uuid5(NAMESPACE, f"{employee_id}:{idempotency_key}"))
    existing = session.scalar(select(Reimbursement).where(Reimbursement.id == reimbursement_id))
    if existing is not None:
        return view(existing)
    employee = session.scalar(select(Employee).where(Employee.id == employee_id))
    if employee is None or employee.status != "active":
        raise refusals.EMPLOYEE_UNKNOWN(field="employee_id")
    rule = fiscal_rules.rules_for(data["spent_on"].year).categories[data["category"]]
    if not rule.cash_reimbursable:
        raise refusals.NOT_REIMBURSABLE_IN_CASH(category=data["category"],
                                                legal_basis=rule.legal_basis, field="category")
    if data["spent_on"] > today:
        raise refusals.SPENT_IN_THE_FUTURE(field="spent_on")
    family = {employee.fiscal_code, *(employee.dependent_children or [])}
    if data["beneficiary_fiscal_code"] not in family:
        raise refusals.BENEFICIARY_NOT_IN_FAMILY(field="beneficiary_fiscal_code")
    content = _receipt(data)
    key = (f"{employee.company_id}/{employee_id}/{reimbursement_id}."
           f"{EXTENSIONS[data['receipt_content_type']]}")
    store.put(key, content)
    session.commit()  # reads only so far: no transaction stays open over the wallet's call
    held = hold(reimbursement_id=reimbursement_id, employee_id=employee_id,
                category=data["category"], amount_cents=data["amount_cents"],
                plan_id=data["plan_id"], spent_on=data["spent_on"].isoformat())
    reimbursement = Reimbursement(
        id=reimbursement_id, company_id=employee.company_id, employee_id=employee_id,
        plan_id=held["plan_id"], category=data["category"], amount_cents=data["amount_cents"],
        spent_on=data["spent_on"], provider_tax_id=data["provider_tax_id"],
        beneficiary_fiscal_code=data["beneficiary_fiscal_code"], receipt_key=key,
        receipt_content_type=data["receipt_content_type"],
        receipt_sha256=hashlib.sha256(content).hexdigest(), status="requested",
        created_at=datetime.now(UTC))
    session.add(reimbursement)
    session.flush()
    record_event(session, events.REIMBURSEMENT_REQUESTED, view(reimbursement), producer=PRODUCER,
                 company_id=employee.company_id)
    return view(reimbursement)


def decide(session: Session, *, company_id: str, reimbursement_id: str, approved: bool,
           reason: str, pay: Callable[[str], Any], release: Callable[[str], Any]
           ) -> dict[str, Any]:
    """HR's decision. The wallet pays or releases the held credit first, with no
    transaction open and no row lock held (it decides once per reimbursement: a racing
    opposite decision is refused there); then the decision is recorded, under a lock."""
    r = session.scalar(select(Reimbursement).where(Reimbursement.id == reimbursement_id))
    if r is None or r.company_id != company_id:
        raise refusals.REIMBURSEMENT_UNKNOWN(field="reimbursement_id")
    if r.status != "requested":
        raise refusals.REIMBURSEMENT_ALREADY_DECIDED(status=r.status, field="reimbursement_id")
    session.commit()
    (pay if approved else release)(r.id)
    r = session.scalars(select(Reimbursement).where(Reimbursement.id == reimbursement_id)
                        .with_for_update().execution_options(populate_existing=True)).one()
    outcome = "approved" if approved else "rejected"
    if r.status == outcome:  # a twin of this decision recorded it meanwhile
        return view(r)
    if r.status != "requested":
        raise refusals.REIMBURSEMENT_ALREADY_DECIDED(status=r.status, field="reimbursement_id")
    r.status = outcome
    r.reason = reason or None
    r.decided_at = datetime.now(UTC)
    record_event(session, events.REIMBURSEMENT_DECIDED[r.status], view(r), producer=PRODUCER,
                 company_id=company_id)
    return view(r)


def receipt(session: Session, store: ReceiptStore, *, company_id: str,
            reimbursement_id: str) -> dict[str, Any]:
    """A request's receipt, for its company's HR: the file as it was sent."""
    r = session.scalar(select(Reimbursement).where(Reimbursement.id == reimbursement_id))
    if r is None or r.company_id != company_id:
        raise refusals.REIMBURSEMENT_UNKNOWN(field="reimbursement_id")
    return {"content_type": r.receipt_content_type, "sha256": r.receipt_sha256,
            "filename": f"receipt-{r.id}.{EXTENSIONS[r.receipt_content_type]}",
            "content_base64": base64.b64encode(store.get(r.receipt_key)).decode()}


def listing(session: Session, *, company_id: str | None = None,
            employee_id: str | None = None, status: str | None = None, limit: int = 50,
            cursor: str | None = None) -> dict[str, Any]:
    """A company's requests (HR) or an employee's own: one of the two is named, or
    nothing is listed (no filter is not "every company's")."""
    if not employee_id:
        require_scope(company_id=company_id)
    query = select(Reimbursement).order_by(Reimbursement.seq.desc()).limit(limit + 1)
    if company_id:
        query = query.where(Reimbursement.company_id == company_id)
    if employee_id:
        query = query.where(Reimbursement.employee_id == employee_id)
    if status:
        query = query.where(Reimbursement.status == status)
    if cursor:
        query = query.where(Reimbursement.seq < int(cursor))
    rows = session.scalars(query).all()
    return {"items": [view(r) for r in rows[:limit]],
            "next_cursor": str(rows[limit - 1].seq) if len(rows) > limit else None}
