"""Which event tells whom what (issue #6's table), as data and plain functions.
Directory events keep the recipients' contact details; the others become one
message per recipient, rendered in the recipient's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wecare_common.contract import events

from notifications.schemas import CONSUMED


@dataclass(frozen=True)
class Message:
    recipient: str
    kind: str
    context: dict[str, Any]
    # non-essential messages obey the recipient's preference; vouchers, money
    # movements and security messages always go
    essential: bool = True
    extras: dict[str, Any] = field(default_factory=dict)


EVENT_TYPES: tuple[str, ...] = CONSUMED
ONE_TIME_LINKS = {events.USER_INVITED: "user_invited",
                  events.PASSWORD_RESET_REQUESTED: "password_reset"}


def load(event: dict[str, Any]) -> dict[str, Any]:
    """The payload, checked; a ValidationError parks the event with the reason."""
    return events.load_payload(event)


@dataclass(frozen=True)
class Contact:
    key: str
    email: str | None
    name: str
    language: str = "it"
    # False: the language is the contact's only while it is new; one kept since (the
    # person's preference, or the language they applied in) is theirs and stays
    sets_language: bool = True


def contact(kind: str, p: dict[str, Any]) -> Contact | None:
    """The contact an event carries, if any."""
    if kind == events.COMPANY_CREATED:
        hr = p["hr_manager"]
        return Contact(f"company:{p['id']}", hr["email"], f"{hr['first_name']} {hr['last_name']}")
    if kind == events.EMPLOYEE_ENROLLED:
        return Contact(f"employee:{p['id']}", p["email"], p["first_name"], p["language"])
    if kind == events.PROVIDER_REGISTERED:  # in the language the provider applied in
        return Contact(f"provider:{p['id']}", p["email"], p["name"], p["language"])
    if kind in (events.PROVIDER_APPROVED, events.PROVIDER_SUSPENDED):
        # an operator's decision changes no language the provider chose since
        return Contact(f"provider:{p['id']}", p["email"], p["name"], p["language"],
                       sets_language=False)
    if kind == events.PROVIDER_PROPOSED:
        return Contact(f"proposal:{p['id']}", p["email"], p["name"])
    if kind in (events.USER_INVITED, events.PASSWORD_RESET_REQUESTED):
        return Contact(f"user:{p['user_id']}", p["email"], p.get("name") or p["email"],
                       p["language"])
    if kind == events.PROVIDER_APPLIED:  # the address applied with, apart from any account's
        return Contact(f"applicant:{p['user_id']}", p["email"], p["name"], p["language"])
    return None


def messages(kind: str, p: dict[str, Any], company_id: str | None) -> list[Message]:
    employee = f"employee:{p.get('employee_id')}"
    company = f"company:{company_id}"
    if kind == events.EMPLOYEE_ENROLLED:
        return [Message(f"employee:{p['id']}", "welcome", {"company_name": None})]
    if kind == events.PROVIDER_PROPOSED:
        return [Message(f"proposal:{p['id']}", "invitation", {"category": p["category"]})]
    if kind == events.CREDITS_GRANTED:
        if p.get("offer_id"):  # a bonus's welfare part: the offer's result says it
            return []
        context = {k: p[k] for k in ("amount_cents", "plan_name", "valid_until")}
        return [Message(f"employee:{e}", "credits_granted", context) for e in p["employee_ids"]]
    if kind in (events.BONUS_OFFERED, events.BONUS_REMINDED, events.BONUS_SETTLED):
        return _bonus_messages(kind, p)
    if kind == events.CREDITS_EXPIRING:
        return [Message(employee, "credits_expiring", p, essential=False)]
    if kind == events.VOUCHER_ISSUED:
        # the signed QR in the email too (issue 26.4): a printed or forwarded email works
        # at a counter without a network; the link to the voucher's page stays
        signed = p.get("signed")
        return [Message(employee, "voucher_issued", p,
                        extras={"signed_qr": signed} if signed else {})]
    if kind == events.VOUCHER_REDEEMED:
        return [Message(employee, "voucher_redeemed", p),
                Message(f"provider:{p['provider_id']}", "voucher_received", p)]
    if kind == events.VOUCHER_ACCEPTED_AGAIN:
        # a voucher accepted twice at the counter (two phones without a network): paid
        # once; essential, as every voucher's word is (the customer may have been served
        # twice, or a copied QR shown)
        return [Message(f"provider:{p['provider_id']}", "voucher_accepted_again", p)]
    if kind in (events.VOUCHER_CANCELLED, events.VOUCHER_EXPIRED):
        return [Message(employee, "voucher_returned", p)]
    if kind in (events.TOPUP_SUCCEEDED, events.TOPUP_FAILED):
        return [Message(company, kind.replace(".", "_"), p)]
    if kind == events.REIMBURSEMENT_REQUESTED:
        return [Message(company, "reimbursement_requested", p)]
    if kind in (events.REIMBURSEMENT_APPROVED, events.REIMBURSEMENT_REJECTED):
        return [Message(employee, "reimbursement_decided", p)]
    if kind in (events.PROVIDER_APPROVED, events.PROVIDER_SUSPENDED):
        return [Message(f"provider:{p['id']}", "provider_status",
                        {**p, "status": kind.split(".")[1]})]
    if kind in (events.USER_INVITED, events.PASSWORD_RESET_REQUESTED):
        # written and kept with the link's id; its token only as the email leaves
        # (wecare_common.links: nothing kept opens the link)
        return [Message(f"user:{p['user_id']}", ONE_TIME_LINKS[kind], p,
                        extras={"link_id": p["link_id"]})]
    if kind == events.PROVIDER_APPLIED:
        # confirm the address (a one-time link, kept by its id as the others), or, known
        # already, word of it to the address and to nobody else
        if p["known"]:
            return [Message(f"applicant:{p['user_id']}", "application_known", p)]
        return [Message(f"applicant:{p['user_id']}", "application_confirm", p,
                        extras={"link_id": p["link_id"]})]
    if kind == events.PAYOUT_SENT:
        return [Message(f"provider:{p['provider_id']}", "payout_sent", p)]
    if kind == events.NETWORK_MEMBER_INVITED:
        return [Message(company, "network_invitation", {"network_name": p["network_name"]})]
    if kind == events.AGREEMENT_PROPOSED:
        return [Message(f"provider:{p['provider_id']}", "agreement_proposed",
                        {k: p[k] for k in ("network_name", "offering_title")})]
    return []


def _bonus_messages(kind: str, p: dict[str, Any]) -> list[Message]:
    """A performance bonus offered, its deadline near, its result: to each employee."""
    offer = {"offer_id": p["offer_id"], "offer_name": p["name"],
             "amount_cents": p["amount_cents"], "deadline": p["deadline"],
             "plan_name": p["plan_name"]}
    if kind == events.BONUS_OFFERED:
        return [Message(f"employee:{e}", "bonus_offered", offer) for e in p["employee_ids"]]
    if kind == events.BONUS_REMINDED:
        return [Message(f"employee:{e['employee_id']}", "bonus_reminder",
                        {**offer, "welfare_cents": e.get("welfare_cents")})
                for e in p["employees"]]
    return [Message(f"employee:{r['employee_id']}", "bonus_result",
                    {**offer, "valid_until": p.get("valid_until"),
                     **{k: r.get(k) for k in ("outcome", "welfare_cents", "cash_cents",
                                              "substitute_tax_cents", "ordinary_cents")}})
            for r in p["results"]]
