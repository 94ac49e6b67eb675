"""Which event tells whom what (issue #6's table), as data and plain functions.
Directory events keep the recipients' contact details; the others become one
message per recipient, rendered in the recipient's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from notifications.schemas import PAYLOADS


@dataclass(frozen=True)
class Message:
    recipient: str
    kind: str
    context: dict[str, Any]
    # non-essential messages obey the recipient's preference; vouchers, money
    # movements and security messages always go
    essential: bool = True
    extras: dict[str, Any] = field(default_factory=dict)


EVENT_TYPES: tuple[str, ...] = tuple(PAYLOADS)


# one instance per schema: loading is stateless, and making one costs more than a load
_LOADERS = {kind: schema() for kind, schema in PAYLOADS.items()}


def load(event: dict[str, Any]) -> dict[str, Any]:
    """The payload, checked; a ValidationError parks the event with the reason."""
    return _LOADERS[event["type"]].load(event["payload"])


@dataclass(frozen=True)
class Contact:
    key: str
    email: str | None
    name: str
    language: str = "it"


def contact(kind: str, p: dict[str, Any]) -> Contact | None:
    """The contact an event carries, if any."""
    if kind == "company.created":
        hr = p["hr_manager"]
        return Contact(f"company:{p['id']}", hr["email"], f"{hr['first_name']} {hr['last_name']}")
    if kind == "employee.enrolled":
        return Contact(f"employee:{p['id']}", p["email"], p["first_name"], p["language"])
    if kind.startswith("provider.") and kind != "provider.proposed":
        return Contact(f"provider:{p['id']}", p["email"], p["name"])
    if kind == "provider.proposed":
        return Contact(f"proposal:{p['id']}", p["email"], p["name"])
    if kind in ("user.invited", "password.reset_requested"):
        return Contact(f"user:{p['user_id']}", p["email"], p.get("name") or p["email"])
    return None


def messages(kind: str, p: dict[str, Any], company_id: str | None) -> list[Message]:
    employee = f"employee:{p.get('employee_id')}"
    company = f"company:{company_id}"
    if kind == "employee.enrolled":
        return [Message(f"employee:{p['id']}", "welcome", {"company_name": None})]
    if kind == "provider.proposed":
        return [Message(f"proposal:{p['id']}", "invitation", {"category": p["category"]})]
    if kind == "credits.granted":
        context = {k: p[k] for k in ("amount_cents", "plan_name", "valid_until")}
        return [Message(f"employee:{e}", "credits_granted", context) for e in p["employee_ids"]]
    if kind == "credits.expiring":
        return [Message(employee, "credits_expiring", p, essential=False)]
    if kind == "voucher.issued":
        return [Message(employee, "voucher_issued", p, extras={"qr": p["code"]})]
    if kind == "voucher.redeemed":
        return [Message(employee, "voucher_redeemed", p),
                Message(f"provider:{p['provider_id']}", "voucher_received", p)]
    if kind in ("voucher.cancelled", "voucher.expired"):
        return [Message(employee, "voucher_returned", p)]
    if kind in ("topup.succeeded", "topup.failed"):
        return [Message(company, kind.replace(".", "_"), p)]
    if kind == "reimbursement.requested":
        return [Message(company, "reimbursement_requested", p)]
    if kind in ("reimbursement.approved", "reimbursement.rejected"):
        return [Message(employee, "reimbursement_decided", p)]
    if kind in ("provider.approved", "provider.suspended"):
        return [Message(f"provider:{p['id']}", "provider_status",
                        {**p, "status": kind.split(".")[1]})]
    if kind == "user.invited":
        return [Message(f"user:{p['user_id']}", "user_invited", p)]
    if kind == "password.reset_requested":
        return [Message(f"user:{p['user_id']}", "password_reset", p)]
    if kind == "payout.sent":
        return [Message(f"provider:{p['provider_id']}", "payout_sent", p)]
    return []
