"""One-time links end when they should (issue 23.4): setting a password ends every
other link of the person, a resent invitation ends the one before, reset requests are
limited per account as well as per address, and no copy kept anywhere (the gateway's
outbox, the stored email, the feed) is a live link: only the email that left is."""

from __future__ import annotations

import json
import time

from sqlalchemy import select, text
from support.e2e import Stack
from wecare_common.db import make_engine


def new_link(stack: Stack, email: str, subject: str, seen: set[str]) -> str:
    """The token of the email to `email` (subject containing `subject`) that arrived
    since the tokens `seen` (a mailbox lists its messages in no order); added to them."""
    deadline = time.monotonic() + 60
    while True:
        tokens = {m.get_body(preferencelist=("plain",)).get_content()
                  .split("/password/new?token=", 1)[1].split()[0]
                  for m in stack.smtp.messages()
                  if m["To"] == email and subject in m["Subject"]} - seen
        if tokens or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(tokens) == 1, f"{len(tokens)} new emails"
    seen |= tokens
    return tokens.pop()


def set_password(stack: Stack, token: str, password: str = "a-new-password-1") -> int:
    return stack.call("POST", "/auth/password", json={"token": token,
                                                       "password": password}).status_code


def test_a_resent_invitation_ends_the_earlier_and_a_password_ends_every_link(
        stack, company, fake) -> None:
    email = fake.email("invited")
    r = stack.call("POST", f"/companies/{company.id}/employees", company.hr, json={
        "email": email, "first_name": "Ivo", "last_name": "Blu",
        "fiscal_code": fake.fiscal_code()})
    assert r.status_code == 201, r.text
    seen: set[str] = set()
    first = new_link(stack, email, "invitato", seen)
    resent = stack.call("POST", f"/companies/{company.id}/employees/{r.json()['id']}/"
                        "invitation", company.hr)
    assert resent.status_code == 200, resent.text
    second = new_link(stack, email, "invitato", seen)
    assert stack.call("POST", "/auth/password-reset", json={"email": email}
                      ).status_code == 202
    reset = new_link(stack, email, "Reimposta", seen)

    assert set_password(stack, first) == 401  # the invitation sent again replaced it
    assert set_password(stack, second) == 200
    assert set_password(stack, reset) == 401  # setting a password ended the reset link
    assert set_password(stack, second) == 401  # and the link itself is spent


def test_a_link_is_written_in_the_person_s_language(stack, company, fake) -> None:
    """An invitation in the employee's language (when added, and sent again); a reset in
    the language it was asked in (the page's, else the request's Accept-Language); a
    colleague's invitation in the inviting page's."""
    email = fake.email("english")
    r = stack.call("POST", f"/companies/{company.id}/employees", company.hr, json={
        "email": email, "first_name": "Jane", "last_name": "Doe",
        "fiscal_code": fake.fiscal_code(), "language": "en"})
    assert r.status_code == 201, r.text
    seen: set[str] = set()
    new_link(stack, email, "You are invited to WeCare", seen)
    assert stack.call("POST", f"/companies/{company.id}/employees/{r.json()['id']}/"
                      "invitation", company.hr).status_code == 200
    new_link(stack, email, "You are invited to WeCare", seen)
    assert stack.call("POST", "/auth/password-reset", json={"email": email},
                      headers_extra={"Accept-Language": "en-GB,en;q=0.8"}).status_code == 202
    new_link(stack, email, "Reset your WeCare password", seen)
    assert stack.call("POST", "/auth/password-reset", json={"email": email, "language": "it"},
                      headers_extra={"Accept-Language": "en"}).status_code == 202
    new_link(stack, email, "Reimposta la password", seen)
    assert stack.call("POST", "/auth/password-reset", json={"email": email, "language": "de"}
                      ).status_code == 400  # a language WeCare does not write in
    colleague = fake.email("colleague")
    assert stack.call("POST", f"/companies/{company.id}/hr-invitations", company.hr, json={
        "email": colleague, "first_name": "Tom", "last_name": "Ross", "language": "en"}
                      ).status_code == 201
    new_link(stack, colleague, "You are invited to WeCare", seen)


def test_a_reset_link_ends_when_another_link_sets_the_password(stack, company,
                                                              fake) -> None:
    email = fake.email("hr2")
    stack.call("POST", f"/companies/{company.id}/hr-invitations", company.hr,
               json={"email": email, "first_name": "Nina", "last_name": "Rossi"})
    seen: set[str] = set()
    invitation = new_link(stack, email, "invitato", seen)
    stack.call("POST", "/auth/password-reset", json={"email": email})
    older = new_link(stack, email, "Reimposta", seen)
    stack.call("POST", "/auth/password-reset", json={"email": email})
    newer = new_link(stack, email, "Reimposta", seen)
    assert set_password(stack, older) == 401  # a newer reset link replaced it
    assert set_password(stack, invitation) == 200
    assert set_password(stack, newer) == 401


def test_reset_requests_are_limited_per_account_from_any_address(stack, fake) -> None:
    """Three an hour for an email, whichever address asks (and whether or not it has an
    account: the answer tells nothing); other emails are not affected."""
    victim = fake.email("victim")

    def reset(email: str, address: str):  # type: ignore[no-untyped-def]
        # the test client is a trusted proxy (loopback): it names the client's address
        return stack.call("POST", "/auth/password-reset", json={"email": email},
                          headers_extra={"X-Forwarded-For": address})

    statuses = [reset(victim, f"198.51.100.{n}").status_code for n in range(4)]
    assert statuses == [202, 202, 202, 429]
    refused = reset(victim.upper(), "203.0.113.77")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert reset(fake.email("someone-else"), "198.51.100.1").status_code == 202


def test_no_kept_copy_of_a_link_is_a_live_one(stack, company, fake, database_url) -> None:
    """The gateway's outbox (and so the broker and the dead letters) carries the link's
    id, the notifications service keeps the email with the id: only the email sent
    holds the token (wecare_common.links)."""
    email = fake.email("kept")
    stack.call("POST", f"/companies/{company.id}/hr-invitations", company.hr,
               json={"email": email, "first_name": "Lia", "last_name": "Neri"})
    token = new_link(stack, email, "invitato", set())
    gateway = make_engine("gateway", database_url)
    notifications = make_engine("notifications", database_url)
    with gateway.connect() as db:
        payloads = [json.dumps(p) if not isinstance(p, str) else p for (p,) in db.execute(
            text("SELECT envelope FROM outbox WHERE event_type = 'user.invited'"))]
        hashes = [h for (h,) in db.execute(text("SELECT token_hash FROM one_time_tokens"))]
    mine = [p for p in payloads if email in p]
    assert len(mine) == 1 and '"link_id"' in mine[0] and token not in mine[0]
    with notifications.connect() as db:
        rows = db.execute(select(text("body_text, body_html, extras")).select_from(
            text("notifications")).where(text("email_to = :e")), {"e": email}).all()
    assert len(rows) == 1
    kept = " ".join(str(part) for part in rows[0])
    assert "/password/new?link=" in kept and token not in kept
    assert token not in hashes  # the gateway keeps its hash only
    gateway.dispose()
    notifications.dispose()
    assert set_password(stack, token) == 200  # and the email's link works
