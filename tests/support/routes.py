"""Every route of the gateway as the end-to-end tests ask it, declared once: a request
that succeeds for the roles the route admits, and the answer it documents when that is
not the route's declared status. The routes themselves (who may call them, what they
answer) come from the gateway's route table (`@api` in gateway/gateway/rooms/), so the
tests generated from it (tests/e2e/test_access.py: the access matrix;
tests/e2e/test_boundaries.py: every header, path id and field at its limits) cover a new
route the day it is added, and fail until it has a row here.

Two tenants are made (`make_tenant`): a company with its HR manager, an employee with
credit, a voucher, a reimbursement and a notification, an invited employee, a top-up, a
plan; an approved provider with an offering. A path's `<name>` is filled from the
tenant's ids (per role where each has its own: a notification). A row whose call
changes or ends what it names (a departure, a cancellation, a logout) makes fresh ids
for each call (`fresh`)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import requests
from gateway.openapi import routes_of
from gateway.routing import ApiRoute
from gateway.service import GatewayService

from support.e2e import (
    ADMIN,
    WEBHOOK_SECRET,
    Company,
    Stack,
    add_employee,
    approved_provider,
    buy,
    create_network,
    create_plan,
    emailed_token,
    fund_company,
    join_network,
    offer_window,
)
from support.e2e import (
    Network as _Network,
)

ROLES = ("admin", "hr", "employee", "provider", "network")
PDF = b"%PDF-1.4\n%%EOF\n"
ROUTES: dict[tuple[str, str], ApiRoute] = {(r.method, r.url): r
                                           for r in routes_of(GatewayService)}


def roles_of(key: tuple[str, str]) -> frozenset[str] | None:
    """The roles a route admits (None: anyone, signed in or not)."""
    roles = ROUTES[key].roles
    return None if roles is None else frozenset(roles)


@dataclass
class Tenant:
    tokens: dict[str, str]  # role → access token
    ids: dict[str, str]  # path name → id (and what bodies name: a code, an email)
    logins: dict[str, tuple[str, str]]  # role → its person's email and password
    per_role: dict[str, dict[str, str]] = field(default_factory=dict)  # role → its own ids
    company: Company | None = None

    def ids_for(self, role: str | None) -> dict[str, str]:
        return {**self.ids, **self.per_role.get(role or "", {})}


Body = dict[str, Any] | Callable[[Any], dict[str, Any]]
Fresh = Callable[[Stack, str, Tenant, Any], dict[str, str]]


@dataclass(frozen=True)
class Row:
    """How a route is asked so that it succeeds for its roles, and what it answers."""

    body: Body = field(default_factory=dict)  # "<name>" values are filled from the ids
    query: dict[str, Any] = field(default_factory=dict)
    form: dict[str, str] | None = None  # multipart fields; a receipt file goes with them
    csv: Callable[[Any], str] | None = None  # a text/csv body
    signed: Callable[[], tuple[str, dict[str, str]]] | None = None  # a body and its signature
    # the documented answer per role, when not the route's status (None: not signed in)
    answers: dict[str | None, int] = field(default_factory=dict)
    # ids made for each call, for a call that changes or ends what it names:
    # (stack, admin token, the tenant, fake) → ids (and `token` for the caller's session)
    fresh: Fresh | None = None
    # the route reaches a tenant's thing through its path: another tenant's role gets 404
    scoped: bool | None = None  # None: from the path (cid, eid, pid, rid, vid, …)

    def expected(self, route: ApiRoute, role: str | None) -> int:
        return self.answers.get(role, route.status)


# path names whose thing belongs to one company, employee, provider or network
TENANT_IDS = {"cid", "eid", "pid", "rid", "vid", "voucher_id", "nid", "netid", "iid", "spid",
              "aid"}


def scoped(key: tuple[str, str], row: Row) -> bool:
    if row.scoped is not None:
        return row.scoped
    return any(f"<{name}>" in key[1] for name in TENANT_IDS)


def fill(text: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        text = text.replace(f"<{name}>", value)
    return text


def filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return fill(value, ids)
    if isinstance(value, dict):
        return {k: filled(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, ids) for v in value]
    return value


# -- fresh ids, for calls that change what they name ---------------------------------------
def _fresh_employee(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    assert t.company is not None
    return {"eid": add_employee(stack, t.company, fake)["id"]}


def _fresh_voucher(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    voucher = buy(stack, t.tokens["employee"], t.ids["oid"]).json()
    return {"voucher_id": voucher["id"], "code": voucher["code"]}


def _fresh_offering(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    r = stack.call("POST", f"/providers/{t.ids['vid']}/offerings", t.tokens["provider"],
                   json={"title": "Nuova", "category": "education", "price_cents": 500})
    assert r.status_code == 201, r.text
    return {"oid": r.json()["id"]}


def _fresh_topup(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    r = stack.call("POST", f"/companies/{t.ids['cid']}/topups", t.tokens["hr"],
                   key=uuid.uuid4().hex, json={"amount_cents": 1_000,
                                               "method": "bank_transfer"})
    assert r.status_code == 201, r.text
    return {"tid": r.json()["id"]}


def _fresh_reimbursement(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    return {"rid": reimbursement(stack, t)["id"]}


def _fresh_session(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    """A login session of each role's person, to end (logout)."""
    return {f"token:{role}": stack.token(*login) for role, login in t.logins.items()}


def _fresh_refresh(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    email, password = t.logins["employee"]
    r = stack.call("POST", "/auth/token", json={"email": email, "password": password})
    return {"refresh": r.json()["refresh_token"]}


def _fresh_provider(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    return {"vid": enrol(stack, admin, fake)["id"]}


def _fresh_application(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    """A provider's public application and its confirmation link's token."""
    body = application(fake)
    r = stack.call("POST", "/providers", json=body)
    assert r.status_code == 202, r.text
    return {"confirm_token": emailed_token(stack, body["email"], "/providers/apply/confirm")}


def _fresh_link(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    """An invitation's token, read from the email that carries it."""
    email = fake.email("linked")
    stack.call("POST", f"/companies/{t.ids['cid']}/hr-invitations", t.tokens["hr"],
               json={"email": email, "first_name": "L", "last_name": "K"})
    (mail,) = stack.smtp.wait_for(lambda m: m["To"] == email)
    text = mail.get_body(preferencelist=("plain",)).get_content()
    return {"link_token": text.split("/password/new?token=", 1)[1].split()[0]}


def _fresh_colleague(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    """An HR colleague invited to the tenant's company, to remove."""
    r = stack.call("POST", f"/companies/{t.ids['cid']}/hr-invitations", t.tokens["hr"],
                   json={"email": fake.email("colleague"), "first_name": "C",
                         "last_name": "L"})
    assert r.status_code == 201, r.text
    return {"uid": r.json()["id"]}


def _fresh_account(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    """Someone's account, to disable."""
    assert t.company is not None
    email = add_employee(stack, t.company, fake)["email"]
    found = stack.call("GET", "/accounts", admin, params={"email": email}).json()["items"]
    return {"uid": found[0]["id"]}


def _fresh_parked(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    """A parked event (to a queue of its own, which nobody consumes) and its handle."""
    import nameko
    from kombu import Connection, Queue
    from wecare_common.events import make_envelope
    from wecare_common.topology import dead_letter_exchange, declare_backbone

    queue = f"probe.{uuid.uuid4().hex[:8]}"
    event = make_envelope("thing.happened", {"n": 1}, producer="probe", company_id=None)
    with Connection(nameko.config["AMQP_URI"],
                    transport_options={"confirm_publish": True}) as conn:
        declare_backbone(conn.channel())
        Queue(queue, durable=True, auto_delete=False).bind(conn.channel()).declare()
        conn.Producer().publish(
            json.dumps(event), exchange=dead_letter_exchange, routing_key=queue,
            content_type="application/json", content_encoding="utf-8",
            message_id=event["id"], delivery_mode=2,
            headers={"x-wecare-queue": queue, "x-wecare-attempts": 5,
                     "x-wecare-error": "RuntimeError: a probe"})
    items = stack.call("GET", "/dead-letters", admin, params={"limit": 500}).json()["items"]
    return {"mid": next(m["id"] for m in items if m["queue"] == queue)}


def _fresh_firm(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    """A firm in WeCare, in no network: its VAT number, to invite."""
    vat = fake.vat_number()
    r = stack.call("POST", "/companies", admin, json={
        "name": "Da invitare", "vat_number": vat, "hr_manager": {
            "email": fake.email("firm-hr"), "first_name": "F", "last_name": "H",
            "password": "firm-password-1"}})
    assert r.status_code == 201, r.text
    return {"vat": vat, "firm": r.json()["id"]}


def _fresh_invitation(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    """The tenant's network's invitation to a fresh firm, waiting for its answer."""
    firm = _fresh_firm(stack, admin, t, fake)
    r = stack.call("POST", f"/networks/{t.ids['netid']}/invitations", t.tokens["network"],
                   json={"vat_number": firm["vat"], "municipality": "Torino",
                         "province": "TO"})
    assert r.status_code == 201, r.text
    return {"iid": r.json()["id"]}


def _fresh_invitation_to_this_firm(stack: Stack, admin: str, t: Tenant, fake: Any
                                   ) -> dict[str, str]:
    """Another network's invitation to the tenant's firm (a member of its own network),
    for its HR manager to answer (declining is always possible)."""
    other = create_network(stack, admin, fake, name="Altra rete")
    vat = stack.call("GET", f"/companies/{t.ids['cid']}", t.tokens["hr"]).json()["vat_number"]
    r = stack.call("POST", f"/networks/{other.id}/invitations", other.token, json={
        "vat_number": vat, "municipality": "Torino", "province": "TO"})
    assert r.status_code == 201, r.text
    return {"iid": r.json()["id"]}


def _fresh_member(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    """A firm that joined the tenant's network, its HR manager signed in: to leave."""
    email = fake.email("member-hr")
    r = stack.call("POST", "/companies", admin, json={
        "name": "Socia", "vat_number": fake.vat_number(), "hr_manager": {
            "email": email, "first_name": "S", "last_name": "H",
            "password": "member-password-1"}})
    assert r.status_code == 201, r.text
    member = Company(r.json()["id"], stack.token(email, "member-password-1"), email)
    network = _Network(t.ids["netid"], t.ids["slug"], t.tokens["network"], "")
    join_network(stack, network, member)
    return {"cid": member.id, "token:hr": member.hr}


def _fresh_shared_plan(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    r = stack.call("POST", f"/networks/{t.ids['netid']}/shared-plans", t.tokens["network"],
                   json=SHARED_PLAN)
    assert r.status_code == 201, r.text
    return {"spid": r.json()["id"]}


def _fresh_agreement(stack: Stack, admin: str, t: Tenant, fake: Any) -> dict[str, str]:
    """A proposed agreement on a fresh offering of the tenant's provider."""
    offering = _fresh_offering(stack, admin, t, fake)
    r = stack.call("POST", f"/networks/{t.ids['netid']}/agreements", t.tokens["network"],
                   json={"offering_id": offering["oid"], "price_cents": 400})
    assert r.status_code == 201, r.text
    return {"aid": r.json()["id"]}


def _stripe_event() -> tuple[str, dict[str, str]]:
    """An event Stripe signed that WeCare does not act on."""
    from support.stripe_standin import signed

    payload, signature = signed({"id": f"evt_{uuid.uuid4().hex}", "type": "customer.created",
                                 "data": {"object": {}}}, WEBHOOK_SECRET)
    return payload, {"Stripe-Signature": signature}


def _employees_csv(fake: Any) -> str:
    rows = "".join(f"{fake.fiscal_code()};Anna;Blu;{fake.email('imported')};impiegati\n"
                   for _ in range(2))
    return "codice_fiscale;nome;cognome;email;gruppo\n" + rows


SOON = (date.today() + timedelta(days=30)).isoformat()
TODAY = date.today().isoformat()
OFFER_YEAR, OFFER_DEADLINE = offer_window()
SHARED_PLAN = {"name": "Welfare di rete", "fiscal_year": date.today().year, "valid_from": TODAY,
               "valid_until": SOON, "categories": ["education"],
               "leftover_policy": "return_to_fund", "amount_per_employee_cents": 10_000}
ADMIN_OK = {"admin": 200}

MATRIX: dict[tuple[str, str], Row] = {
    # -- anyone -------------------------------------------------------------------------
    ("GET", "/health"): Row(),
    ("GET", "/api/v1/openapi.json"): Row(),
    ("GET", "/api/docs"): Row(),
    ("GET", "/api/v1/circuit"): Row(),
    ("GET", "/api/v1/fiscal-rules"): Row(),
    ("GET", "/api/v1/voucher-keys"): Row(),
    ("POST", "/api/v1/auth/token"): Row(body={"email": "<employee_email>",
                                              "password": "employee-password-1"}),
    ("POST", "/api/v1/auth/refresh"): Row(body={"refresh_token": "<refresh>"},
                                          fresh=_fresh_refresh),
    ("POST", "/api/v1/auth/password-reset"): Row(body=lambda fake: {
        "email": fake.email("reset")}),
    ("POST", "/api/v1/auth/password"): Row(body={"token": "<link_token>",
                                                 "password": "a-new-password-1"},
                                           fresh=_fresh_link),
    ("POST", "/api/v1/providers"): Row(body=lambda fake: application(fake)),
    ("POST", "/api/v1/providers/confirmation"): Row(body={"token": "<confirm_token>"},
                                                    fresh=_fresh_application),
    ("POST", "/api/v1/webhooks/stripe"): Row(signed=_stripe_event),
    # -- everyone signed in -----------------------------------------------------------
    ("POST", "/api/v1/auth/logout"): Row(fresh=_fresh_session),
    ("GET", "/api/v1/me"): Row(),
    ("GET", "/api/v1/me/notifications"): Row(),
    ("POST", "/api/v1/me/notifications/<nid>/read"): Row(),
    ("GET", "/api/v1/me/notification-preferences"): Row(),
    ("PUT", "/api/v1/me/notification-preferences"): Row(body={"non_essential_email": True}),
    ("GET", "/api/v1/offerings"): Row(query={"q": "retta"}),
    ("GET", "/api/v1/offerings/<oid>"): Row(scoped=False),
    # -- HR ---------------------------------------------------------------------------
    ("GET", "/api/v1/companies/<cid>"): Row(answers=ADMIN_OK),
    ("POST", "/api/v1/companies/<cid>/hr-invitations"): Row(body=lambda fake: {
        "email": fake.email("new-hr"), "first_name": "N", "last_name": "H"}),
    ("POST", "/api/v1/companies/<cid>/employees"): Row(body=lambda fake: {
        "email": fake.email("x"), "first_name": "A", "last_name": "B",
        "fiscal_code": fake.fiscal_code()}),
    ("GET", "/api/v1/companies/<cid>/employees"): Row(),
    ("POST", "/api/v1/companies/<cid>/employees/import"): Row(csv=_employees_csv),
    ("POST", "/api/v1/companies/<cid>/employees/import/preview"): Row(csv=_employees_csv),
    ("POST", "/api/v1/companies/<cid>/employees/<eid>/invitation"): Row(),
    ("POST", "/api/v1/companies/<cid>/employees/<eid>/departure"): Row(
        body={"left_on": TODAY}, fresh=_fresh_employee),
    ("GET", "/api/v1/companies/<cid>/dashboard"): Row(),
    ("GET", "/api/v1/companies/<cid>/topups"): Row(),
    ("POST", "/api/v1/companies/<cid>/topups"): Row(body={
        "amount_cents": 100, "method": "bank_transfer"}),
    ("GET", "/api/v1/companies/<cid>/funding-options"): Row(),
    ("GET", "/api/v1/companies/<cid>/estimate-settings"): Row(),
    ("PUT", "/api/v1/companies/<cid>/estimate-settings"): Row(),
    ("GET", "/api/v1/companies/<cid>/plans"): Row(),
    ("POST", "/api/v1/companies/<cid>/plans"): Row(body={
        "name": "P", "fiscal_year": date.today().year, "valid_from": TODAY,
        "valid_until": SOON, "categories": ["education"], "leftover_policy": "return_to_fund"}),
    ("PATCH", "/api/v1/plans/<pid>"): Row(body={"name": "Renamed"}),
    ("POST", "/api/v1/plans/<pid>/grant-check"): Row(body={"amount_cents": 100, "all": True}),
    ("POST", "/api/v1/plans/<pid>/grants"): Row(body={"amount_cents": 100,
                                                      "employee_ids": ["<eid>"]}),
    ("GET", "/api/v1/companies/<cid>/reimbursements"): Row(),
    ("GET", "/api/v1/companies/<cid>/reimbursements/<rid>/receipt"): Row(),
    ("POST", "/api/v1/reimbursements/<rid>/decision"): Row(body={"approved": True},
                                                           fresh=_fresh_reimbursement),
    ("GET", "/api/v1/companies/<cid>/reports/fiscal"): Row(query={"year": date.today().year}),
    ("POST", "/api/v1/companies/<cid>/bonus-offers"): Row(body={
        "plan_id": "<bonus_pid>", "name": "Premio", "agreement": "Accordo aziendale",
        "amount_cents": 100, "deadline": OFFER_DEADLINE.isoformat(),
        "employee_ids": ["<bonus_eid>"]}),
    ("GET", "/api/v1/companies/<cid>/bonus-offers"): Row(),
    ("GET", "/api/v1/companies/<cid>/bonus-offers/<offer_id>"): Row(),
    ("GET", "/api/v1/companies/<cid>/hr-managers"): Row(),
    ("POST", "/api/v1/companies/<cid>/hr-managers/<uid>/removal"): Row(
        fresh=_fresh_colleague),
    # -- the employee -----------------------------------------------------------------
    ("GET", "/api/v1/me/wallet"): Row(),
    ("GET", "/api/v1/me/transactions"): Row(),
    ("GET", "/api/v1/me/statement.csv"): Row(),
    ("GET", "/api/v1/me/income-estimate"): Row(),
    ("PUT", "/api/v1/me/income-estimate"): Row(body={"income_cents": 3_000_000}),
    ("GET", "/api/v1/me/worth"): Row(),
    ("GET", "/api/v1/me/worth/summary"): Row(),
    ("GET", "/api/v1/me/bonus-offers"): Row(),
    ("GET", "/api/v1/me/bonus-offers/<offer_id>"): Row(scoped=True),
    ("PUT", "/api/v1/me/bonus-offers/<offer_id>/choice"): Row(body={"welfare_cents": 50},
                                                              scoped=True),
    ("POST", "/api/v1/me/vouchers"): Row(body={"offering_id": "<oid>"}),
    ("GET", "/api/v1/me/vouchers"): Row(),
    ("GET", "/api/v1/me/vouchers/<voucher_id>"): Row(),
    ("GET", "/api/v1/me/vouchers/<voucher_id>/qr.png"): Row(),
    ("POST", "/api/v1/me/vouchers/<voucher_id>/cancellation"): Row(fresh=_fresh_voucher),
    ("POST", "/api/v1/me/reimbursements"): Row(form={
        "amount_cents": "100", "category": "education", "spent_on": TODAY,
        "provider_tax_id": "45678900049", "beneficiary_fiscal_code": "<fiscal_code>"}),
    ("GET", "/api/v1/me/reimbursements"): Row(),
    ("POST", "/api/v1/me/provider-proposals"): Row(body=lambda fake: {
        "name": "Palestra", "city": "Alba", "email": fake.email("gym"),
        "category": "wellbeing"}),
    ("GET", "/api/v1/me/provider-proposals"): Row(),
    # -- the provider -----------------------------------------------------------------
    ("GET", "/api/v1/providers/<vid>/offerings"): Row(answers=ADMIN_OK),
    ("POST", "/api/v1/providers/<vid>/offerings"): Row(body={
        "title": "T", "category": "education", "price_cents": 100}),
    ("PATCH", "/api/v1/providers/<vid>/offerings/<oid>"): Row(body={"price_cents": 1_000},
                                                              fresh=_fresh_offering),
    ("POST", "/api/v1/providers/<vid>/offerings/<oid>/withdrawal"): Row(
        fresh=_fresh_offering),
    ("POST", "/api/v1/providers/<vid>/redemptions"): Row(body={"code": "<code>"},
                                                         fresh=_fresh_voucher),
    ("GET", "/api/v1/providers/<vid>/settlements"): Row(answers=ADMIN_OK),
    ("GET", "/api/v1/providers/<vid>/offline-limits"): Row(answers=ADMIN_OK),
    ("PUT", "/api/v1/providers/<vid>/offline-limits"): Row(body={
        "voucher_cents": 10_000, "waiting_cents": 40_000, "hours": 24}),
    ("GET", "/api/v1/providers/<vid>/offline-duplicates"): Row(answers=ADMIN_OK),
    ("POST", "/api/v1/provider/redemptions/offline"): Row(body={"items": [{
        "signed": "WC1.e30.AA", "accepted_at": "2026-12-07T09:00:00+00:00",
        "device_id": "phone-0001"}]}),
    # -- operators --------------------------------------------------------------------
    ("POST", "/api/v1/companies"): Row(body=lambda fake: {
        "name": "T", "vat_number": fake.vat_number(),
        "hr_manager": {"email": fake.email("hr"), "first_name": "H", "last_name": "R",
                       "password": "hr-password-123"}}),
    ("POST", "/api/v1/providers/enrolment"): Row(body=lambda fake: application(fake)),
    ("POST", "/api/v1/providers/<vid>/approval"): Row(body={
        "status": "approved", "commission_bps": 300}, fresh=_fresh_provider),
    ("GET", "/api/v1/providers"): Row(),
    ("GET", "/api/v1/topups"): Row(),
    ("POST", "/api/v1/topups/<tid>/confirmation"): Row(fresh=_fresh_topup),
    ("GET", "/api/v1/settlements/preview"): Row(),
    ("POST", "/api/v1/settlements"): Row(),
    ("GET", "/api/v1/settlements"): Row(),
    ("GET", "/api/v1/settlements/<sid>"): Row(),
    ("GET", "/api/v1/settlements/<sid>/sepa.xml"): Row(),
    ("GET", "/api/v1/ledger/audit"): Row(),
    ("GET", "/api/v1/accounts"): Row(query={"email": "example"}),
    ("POST", "/api/v1/accounts/<uid>/access"): Row(body={"enabled": False},
                                                   fresh=_fresh_account),
    ("GET", "/api/v1/dead-letters"): Row(),
    ("POST", "/api/v1/dead-letters/<mid>/replay"): Row(fresh=_fresh_parked),
    ("GET", "/api/v1/notifications/failed"): Row(),
    ("POST", "/api/v1/notifications/failed/retry"): Row(),
    ("POST", "/api/v1/networks"): Row(body=lambda fake: {
        "name": "Rete", "kind": "consortium", "tax_id": fake.vat_number(),
        "territory": {"provinces": ["TO"]}, "staff": {
            "email": fake.email("staff"), "first_name": "S", "last_name": "R"}}),
    ("GET", "/api/v1/networks"): Row(),
    # -- a network's staff (docs/domain.md#networks) ----------------------------------
    ("GET", "/api/v1/networks/<netid>"): Row(),
    ("POST", "/api/v1/networks/<netid>/staff-invitations"): Row(body=lambda fake: {
        "email": fake.email("colleague"), "first_name": "C", "last_name": "S"}),
    ("GET", "/api/v1/networks/<netid>/members"): Row(),
    ("POST", "/api/v1/networks/<netid>/invitations"): Row(body={
        "vat_number": "<vat>", "municipality": "Torino", "province": "TO"},
        fresh=_fresh_firm),
    ("POST", "/api/v1/networks/<netid>/invitations/<iid>/withdrawal"): Row(
        fresh=_fresh_invitation),
    ("POST", "/api/v1/networks/<netid>/companies"): Row(body=lambda fake: {
        "name": "Nuova", "vat_number": fake.vat_number(), "municipality": "Torino",
        "province": "TO", "hr_manager": {"email": fake.email("new-member"), "first_name": "N",
                                         "last_name": "M"}}),
    ("GET", "/api/v1/networks/<netid>/shared-plans"): Row(),
    ("POST", "/api/v1/networks/<netid>/shared-plans"): Row(body=SHARED_PLAN),
    ("POST", "/api/v1/networks/<netid>/shared-plans/<spid>/withdrawal"): Row(
        fresh=_fresh_shared_plan),
    ("GET", "/api/v1/networks/<netid>/providers"): Row(),
    ("POST", "/api/v1/networks/<netid>/providers/<vid>/approval"): Row(body={"approved": True}),
    ("GET", "/api/v1/networks/<netid>/agreements"): Row(),
    ("POST", "/api/v1/networks/<netid>/agreements"): Row(body={
        "offering_id": "<oid>", "price_cents": 100}, fresh=_fresh_offering),
    ("POST", "/api/v1/networks/<netid>/agreements/<aid>/ending"): Row(fresh=_fresh_agreement),
    ("GET", "/api/v1/networks/<netid>/dashboard"): Row(),
    ("GET", "/api/v1/networks/<netid>/reports/yearly"): Row(
        query={"year": date.today().year}),
    ("GET", "/api/v1/networks/<slug>/circuit"): Row(),
    # -- a firm's side of its network, and a provider's agreements -----------------------
    ("GET", "/api/v1/companies/<cid>/network"): Row(),
    ("POST", "/api/v1/companies/<cid>/network-invitations/<iid>/answer"): Row(
        body={"accept": False}, fresh=_fresh_invitation_to_this_firm),
    ("POST", "/api/v1/companies/<cid>/network/departure"): Row(fresh=_fresh_member),
    ("GET", "/api/v1/companies/<cid>/shared-plans"): Row(),
    ("POST", "/api/v1/companies/<cid>/shared-plans/<spid>/adoption"): Row(
        fresh=_fresh_shared_plan),
    ("GET", "/api/v1/providers/<vid>/agreements"): Row(),
    ("POST", "/api/v1/providers/<vid>/agreements/<aid>/answer"): Row(
        body={"accept": True}, fresh=_fresh_agreement),
}


# -- making a tenant ---------------------------------------------------------------------
def application(fake: Any) -> dict[str, Any]:
    return {"name": "Asilo", "vat_number": fake.vat_number(), "categories": ["education"],
            "address": "Via Po 1", "lat": 45.0, "lon": 7.6, "email": fake.email("applicant"),
            "password": "applicant-password-1", "iban": "IT60X0542811101000000123456"}


def enrol(stack: Stack, admin: str, fake: Any) -> dict[str, Any]:
    """A provider waiting for approval (enrolled by an operator: no email to confirm)."""
    r = stack.call("POST", "/providers/enrolment", admin, json=application(fake))
    assert r.status_code == 201, r.text
    return r.json()


def reimbursement(stack: Stack, t: Tenant) -> dict[str, Any]:
    r = stack.call("POST", "/me/reimbursements", t.tokens["employee"], key=uuid.uuid4().hex,
                   data={"amount_cents": "100", "category": "education", "spent_on": TODAY,
                         "provider_tax_id": "45678900049",
                         "beneficiary_fiscal_code": t.ids["fiscal_code"]},
                   files={"receipt": ("r.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    return r.json()


def _first_notification(stack: Stack, token: str) -> str:
    deadline = time.monotonic() + 60
    while not (feed := stack.call("GET", "/me/notifications", token).json()["items"]):
        assert time.monotonic() < deadline, "no notification arrived"
        time.sleep(0.1)
    return str(feed[-1]["id"])


def make_tenant(stack: Stack, admin: str, fake: Any) -> Tenant:
    email = fake.email("hr")
    r = stack.call("POST", "/companies", admin, json={
        "name": "T", "vat_number": fake.vat_number(),
        "hr_manager": {"email": email, "first_name": "H", "last_name": "R",
                       "password": "hr-password-123"}})
    assert r.status_code == 201, r.text
    company = Company(r.json()["id"], stack.token(email, "hr-password-123"), email)
    employee = add_employee(stack, company, fake, income_band="up_to_80k")
    token = stack.token(employee["email"], employee["password"])
    invited = stack.call("POST", f"/companies/{company.id}/employees", company.hr, json={
        "email": fake.email("invited"), "first_name": "I", "last_name": "V",
        "fiscal_code": fake.fiscal_code()}).json()
    topup = fund_company(stack, admin, company, 5_000_000)
    plan = create_plan(stack, company)
    r = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key=uuid.uuid4().hex,
                   json={"amount_cents": 1_000_000, "employee_ids": [employee["id"]]})
    assert r.status_code == 201, r.text
    # a performance bonus offered to the employee, on a plan of the offer's year
    bonus_plan = create_plan(stack, company, fiscal_year=OFFER_YEAR,
                             valid_until=(OFFER_DEADLINE + timedelta(days=60)).isoformat())
    offer = stack.call("POST", f"/companies/{company.id}/bonus-offers", company.hr,
                       key=uuid.uuid4().hex, json={
                           "plan_id": bonus_plan["id"], "name": "Premio",
                           "agreement": "Accordo aziendale", "amount_cents": 100,
                           "deadline": OFFER_DEADLINE.isoformat(),
                           "employee_ids": [employee["id"]]})
    assert offer.status_code == 201, offer.text
    provider = approved_provider(stack, admin, fake, price_cents=1_000, city="Torino",
                                 province="TO")
    provider_email = stack.call("GET", "/me", provider.token).json()["email"]
    voucher = buy(stack, token, provider.offering_id).json()
    # the network's staff member invited by email (the invitation: their notification)
    staff_email = fake.email("staff")
    r = stack.call("POST", "/networks", admin, json={
        "name": "Rete T", "kind": "association", "tax_id": fake.vat_number(),
        "territory": {"provinces": ["TO"]}, "staff": {
            "email": staff_email, "first_name": "S", "last_name": "R"}})
    assert r.status_code == 201, r.text
    (mail,) = stack.smtp.wait_for(lambda m: m["To"] == staff_email)
    link = mail.get_body(preferencelist=("plain",)).get_content()
    signed = stack.call("POST", "/auth/password", json={
        "token": link.split("/password/new?token=", 1)[1].split()[0],
        "password": "network-password-1"})
    assert signed.status_code == 200, signed.text
    network = _Network(r.json()["id"], r.json()["slug"], signed.json()["access_token"],
                       "Rete T")
    membership = join_network(stack, network, company)
    shared_plan = stack.call("POST", f"/networks/{network.id}/shared-plans", network.token,
                             json=SHARED_PLAN).json()
    r = stack.call("POST", f"/networks/{network.id}/providers/{provider.id}/approval",
                   network.token, json={"approved": True})
    assert r.status_code == 200, r.text
    tenant = Tenant(
        tokens={"admin": admin, "hr": company.hr, "employee": token,
                "provider": provider.token, "network": network.token},
        ids={"cid": company.id, "eid": employee["id"], "tid": topup["id"], "pid": plan["id"],
             "voucher_id": voucher["id"], "code": voucher["code"], "vid": provider.id,
             "oid": provider.offering_id, "fiscal_code": employee["fiscal_code"],
             "bonus_pid": bonus_plan["id"], "offer_id": offer.json()["id"],
             "bonus_eid": employee["id"],
             "employee_email": employee["email"], "netid": network.id, "slug": network.slug,
             "iid": membership["id"], "spid": shared_plan["id"]},
        logins={"admin": ADMIN, "hr": (email, "hr-password-123"),
                "employee": (employee["email"], employee["password"]),
                "provider": (provider_email, "provider-password-1"),
                "network": (staff_email, "network-password-1")},
        company=company)
    tenant.ids["rid"] = reimbursement(stack, tenant)["id"]
    # a redeemed voucher and a settlement run: a run with a payout and its SEPA file
    redeemed = buy(stack, token, provider.offering_id).json()
    r = stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
                   key=uuid.uuid4().hex, json={"code": redeemed["code"]})
    assert r.status_code == 200, r.text
    run = stack.call("POST", "/settlements", admin, key=uuid.uuid4().hex)
    assert run.status_code == 201, run.text
    tenant.ids["sid"] = run.json()["id"]
    tenant.ids["aid"] = _fresh_agreement(stack, admin, tenant, fake)["aid"]
    # each role reads its own notification (the admin's: a reset link asked for it)
    stack.call("POST", "/auth/password-reset", json={"email": ADMIN[0]})
    tenant.per_role = {role: {"nid": _first_notification(stack, tenant.tokens[role])}
                       for role in ROLES}
    tenant.per_role["hr"]["eid"] = invited["id"]  # an invitation to send again
    return tenant


def call(stack: Stack, key: tuple[str, str], row: Row, role: str | None, tenant: Tenant,
         fake: Any, *, ids: dict[str, str] | None = None, token: str | None = None,
         headers: dict[str, Any] | None = None, body: Any = None,
         query: dict[str, Any] | None = None, path: str | None = None) -> requests.Response:
    """The route asked as `role` (None: not signed in) of `tenant` with the row's request
    (or the `body`, `query`, `path` given instead), the path's ids from `ids`."""
    method, url = key
    ids = ids if ids is not None else tenant.ids_for(role)
    target = path if path is not None else fill(url, ids)
    if token is None and role is not None:
        token = ids.get(f"token:{role}") or tenant.tokens[role]
    sent = dict(headers or {})
    if token:
        sent.setdefault("Authorization", f"Bearer {token}")
    route = ROUTES[key]
    if route.moves_money:
        sent.setdefault("Idempotency-Key", uuid.uuid4().hex)
    kwargs: dict[str, Any] = {"params": filled(query if query is not None else row.query, ids)}
    if body is not None:
        if row.form is not None:
            kwargs["data"] = body
            kwargs["files"] = {"receipt": ("r.pdf", PDF, "application/pdf")}
        elif isinstance(body, (bytes, str)):
            kwargs["data"] = body
        else:
            kwargs["json"] = body
    elif row.form is not None:
        kwargs["data"] = filled(row.form, ids)
        kwargs["files"] = {"receipt": ("r.pdf", PDF, "application/pdf")}
    elif row.csv is not None:
        kwargs["data"] = row.csv(fake).encode()
        sent.setdefault("Content-Type", "text/csv")
    elif row.signed is not None:
        kwargs["data"], signature = row.signed()
        sent.update({k: v for k, v in signature.items() if k not in sent})
    else:
        made = row.body(fake) if callable(row.body) else row.body
        if made or route.body_schema is not None:
            kwargs["json"] = filled(made, ids)
    return requests.request(method, stack.url + target, headers=sent, timeout=60, **kwargs)


def example_body(row: Row, fake: Any, ids: dict[str, str]) -> dict[str, Any]:
    """The row's body (JSON or form fields), filled."""
    if row.form is not None:
        return filled(row.form, ids)
    made = row.body(fake) if callable(row.body) else row.body
    return filled(made, ids)
