"""Sign-ups (a company with its HR manager, an employee, a provider) with no orphan:
no call to another service runs inside a database transaction
(docs/architecture.md#rules-of-the-house).

The account is recorded first, unlinked and with no password (it cannot sign in),
with what the service is to be asked, and committed; then the service keeps its
record, keyed (the same key gives the same record); then the account is linked, gets
its password or its invitation, and the sign-up is done. A refusal by the service
(e.g. the VAT number is taken) removes the waiting account: nothing is left and no
email goes. A service out of reach leaves it waiting: a retry with the request's
Idempotency-Key, or `finish_pending` a minute later, finishes it with the same result.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wecare_common import languages
from wecare_common.contract import refusals
from wecare_common.errors import DomainError, ServiceUnavailable

from gateway import idempotency, users
from gateway.auth import hash_password
from gateway.models import OneTimeToken, Signup, User

# what the service's answer links the account to
LINKS = {"company": "company_id", "employee": "employee_id", "provider": "provider_id",
         "network": "network_id"}
Rpc = Callable[[str, str], Callable[..., dict[str, Any]]]  # (service, method) → the call


def fingerprint(body: dict[str, Any]) -> str:
    """The request, for telling a retry from another request with the same key (the
    password is left out: no hash of it is kept here)."""
    canonical = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def sign_up(session: Session, *, kind: str, caller: str | None, key: str | None,
            request_hash: str, email: str, role: str, password: str | None,
            call: dict[str, Any], rpc: Rpc, company_id: str | None = None,
            invite_name: str | None = None, email_field: str = "email") -> dict[str, Any]:
    """The service's record of the new company, employee or provider (its view)."""
    signup_key = f"{kind}:{caller or '-'}:{idempotency.bounded(key or uuid.uuid4().hex)}"
    found = session.get(Signup, signup_key)
    if found is not None and found.request_hash != request_hash:
        raise refusals.IDEMPOTENCY_CONFLICT(field="Idempotency-Key")
    if found is None:
        users.ensure_email_free(session, email, email_field)
        user = users.create_user(session, email=email, password=None, role=role,
                                 company_id=company_id)
        session.add(Signup(key=signup_key, kind=kind, user_id=user.id,
                           request_hash=request_hash, call=call,
                           password_hash=hash_password(password) if password else None,
                           invite_name=invite_name, status="pending",
                           created_at=datetime.now(UTC)))
        try:
            session.commit()
        except IntegrityError as exc:  # a twin with this key, or another with this email
            session.rollback()
            if session.get(Signup, signup_key) is None:
                raise refusals.EMAIL_TAKEN(field=email_field) from exc
    return finish(session, signup_key, rpc)


def finish(session: Session, signup_key: str, rpc: Rpc) -> dict[str, Any]:
    """Ask the service (again: it is keyed), then link the account. Commits."""
    signup = session.get(Signup, signup_key, populate_existing=True)
    if signup is None:
        raise refusals.SIGN_UP_REFUSED(field="Idempotency-Key")
    if signup.status == "done":
        session.commit()
        return dict(signup.result or {})
    call = dict(signup.call)
    session.commit()  # reads only: nothing stays open over the call
    try:
        view = rpc(call["service"], call["method"])(*call["args"], **call["kwargs"],
                                                    idempotency_key=signup_key)
    except ServiceUnavailable:
        raise  # the service may or may not have kept it: waiting, the key finishes it
    except DomainError:
        _forget(session, signup_key)  # refused: nothing kept there, nothing left here
        session.commit()
        raise
    signup = session.scalar(select(Signup).where(Signup.key == signup_key).with_for_update()
                            .execution_options(populate_existing=True))
    if signup is None:
        raise refusals.SIGN_UP_REFUSED(field="Idempotency-Key")
    if signup.status == "pending":
        user = session.get(User, signup.user_id)
        assert user is not None
        setattr(user, LINKS[signup.kind], view["id"])
        user.password_hash = signup.password_hash
        if signup.password_hash is None:  # no password given: invited by email, now
            users.send_link(session, user, "invitation", signup.invite_name or "",
                            language=view.get("language") or languages.DEFAULT)
        signup.status, signup.result, signup.password_hash = "done", view, None
    result = dict(signup.result or {})
    session.commit()
    return result


def _forget(session: Session, signup_key: str,
            statuses: tuple[str, ...] = ("pending",)) -> None:
    signup = session.scalar(select(Signup).where(Signup.key == signup_key).with_for_update()
                            .execution_options(populate_existing=True))
    if signup is None or signup.status not in statuses:
        return
    user = session.get(User, signup.user_id)
    if user is not None:
        session.execute(delete(OneTimeToken).where(OneTimeToken.user_id == user.id))
        session.delete(user)
    session.delete(signup)


# -- a provider's application from the public form (issue 23.5) ---------------------------
# It waits, "unconfirmed", for the person who reads the address it gave: nothing is asked
# of the catalog, the account has no password and no link, until the emailed link is
# followed (`confirm`); then it is a sign-up like the others. The answer to the form is the
# same whether the email was known or not: what happened goes to the address.


def apply(session: Session, *, key: str | None, request_hash: str, email: str,
          password: str, call: dict[str, Any], name: str, vat_number: str,
          language: str) -> None:
    """Record the application and email its confirmation link, or tell the address that
    it has an account or an application already, either in the applicant's `language`
    (the catalog keeps it with the provider, from `call`, for every later email). Commits."""
    password_hash = hash_password(password)  # either way: the answer takes as long
    signup_key = f"provider:-:{idempotency.bounded(key or uuid.uuid4().hex)}"
    found = session.get(Signup, signup_key)
    if found is not None:
        if found.request_hash != request_hash:
            raise refusals.IDEMPOTENCY_CONFLICT(field="Idempotency-Key")
        session.commit()
        return  # a retry: its email went with the first
    known = users.find_by_email(session, email)
    if known is not None:
        users.tell_applicant(session, known, name=name, vat_number=vat_number, known=True,
                             language=language)
        session.commit()
        return
    try:
        user = users.create_user(session, email=email, password=None, role="provider")
        session.add(Signup(key=signup_key, kind="provider", user_id=user.id,
                           request_hash=request_hash, call=call, password_hash=password_hash,
                           status="unconfirmed", created_at=datetime.now(UTC)))
        users.tell_applicant(session, user, name=name, vat_number=vat_number, known=False,
                             language=language)
        session.commit()
    except (DomainError, IntegrityError):  # the same email (or key) applying at once
        session.rollback()


def confirm(session: Session, token: str, rpc: Rpc) -> User:
    """The application of this confirmation link, sent to the catalog and its account
    linked and given the password of the form; the link is then spent. Commits."""
    link = users.confirmation_link(session, token)
    signup = session.scalar(select(Signup).where(Signup.user_id == link.user_id,
                                                 Signup.kind == "provider"))
    if signup is None:
        raise refusals.LINK_INVALID(field="token")
    if signup.status == "unconfirmed":
        signup.status = "pending"  # the address is confirmed: finished even if this fails
    signup_key, user_id = signup.key, link.user_id
    session.commit()
    finish(session, signup_key, rpc)  # a refusal (the VAT number taken) forgets it all
    link = users.confirmation_link(session, token)
    users.end_links(session, user_id, datetime.now(UTC))
    user = session.get_one(User, user_id)
    session.commit()
    return user


def forget_unconfirmed(session: Session, older_than: timedelta = users.CONFIRMATION_TTL,
                       ) -> int:
    """Applications never confirmed, past their link's life: forgotten (the address may
    apply again)."""
    due = list(session.scalars(select(Signup.key).where(
        Signup.status == "unconfirmed", Signup.created_at < datetime.now(UTC) - older_than)
        .limit(100)))
    for signup_key in due:
        _forget(session, signup_key, statuses=("unconfirmed",))
    session.commit()
    return len(due)


def finish_pending(session: Session, rpc: Rpc,
                   older_than: timedelta = timedelta(minutes=1)) -> int:
    """Sign-ups left waiting (a service out of reach, or a gateway that died between
    the call and the link): each finished as a retry with its key would."""
    due = list(session.scalars(select(Signup.key).where(
        Signup.status == "pending", Signup.created_at < datetime.now(UTC) - older_than)
        .order_by(Signup.created_at).limit(100)))
    session.commit()
    finished = 0
    for signup_key in due:
        try:
            finish(session, signup_key, rpc)
            finished += 1
        except Exception:  # noqa: BLE001 - refused (and forgotten), or still out of reach
            session.rollback()
    return finished
