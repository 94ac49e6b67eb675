"""Taking access away (docs/api.md#how-access-ends): an operator disables any account
(and may enable it again), an HR manager removes a colleague's HR access, and an
employee's departure makes their account read-only until their access ends. What each
state allows is in `gateway.standing`; every session of a disabled account ends at once
(its access tokens are refused: each request checks its session, `users.session_standing`),
and so do its one-time links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wecare_common import clock
from wecare_common.contract import refusals
from wecare_common.errors import NotFound

from gateway import users
from gateway.models import User
from gateway.standing import leaver_access_until, standing_of

REMOVED, DISABLED = "removed", "disabled"  # by an HR colleague, by an operator


def status_of(user: User, now: datetime | None = None) -> str:
    """An account as a person reads its state: invited (no password yet), active,
    read_only (left, access lasting), access_ended, removed or disabled."""
    standing = standing_of(disabled_at=user.disabled_at, left_at=user.left_at,
                           access_until=user.access_until, now=now or clock.now())
    if standing.state == "disabled":
        return REMOVED if user.disabled_reason == REMOVED else DISABLED
    if standing.state != "active":
        return standing.state
    return "invited" if user.password_hash is None else "active"


def account_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "role": user.role,
            "company_id": user.company_id, "employee_id": user.employee_id,
            "provider_id": user.provider_id, "status": status_of(user),
            "disabled_at": user.disabled_at, "left_at": user.left_at,
            "access_until": user.access_until, "created_at": user.created_at}


def disable(session: Session, user: User, *, by: str, reason: str) -> None:
    """The account can do nothing from now: every session and refresh token ends, and
    every one-time link (invitation, reset). Commits."""
    if user.id == by:
        raise refusals.NOT_YOURSELF()
    now = clock.now()
    if user.disabled_at is None:
        user.disabled_at, user.disabled_by, user.disabled_reason = now, by, reason
    users.end_sessions(session, user.id, now)
    users.end_links(session, user.id, now)
    session.commit()
    users.forget_sessions()


def enable(session: Session, user: User) -> None:
    """An operator gives a disabled account back its access (signing in again: its
    sessions ended for good). A leaver stays a leaver. Commits."""
    user.disabled_at = user.disabled_by = user.disabled_reason = None
    session.commit()
    users.forget_sessions()


def employee_left(session: Session, employee_id: str) -> User | None:
    """A departure recorded: the employee's account is read-only from now until their
    access ends (`WECARE_LEAVER_ACCESS_DAYS` later). Recorded once (a retry keeps the
    first moment). Commits."""
    user = users.of_employee(session, employee_id)
    if user is not None and user.left_at is None:
        user.left_at = clock.now()
        user.access_until = leaver_access_until(user.left_at)
        session.commit()
        users.forget_sessions()
    return user


def hr_managers(session: Session, company_id: str) -> list[User]:
    return list(session.scalars(select(User).where(
        User.role == "hr", User.company_id == company_id).order_by(User.created_at, User.id)))


def hr_manager(session: Session, company_id: str, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.role != "hr" or user.company_id != company_id:
        raise NotFound("no such HR manager in this company", {"user_id": ["unknown"]})
    return user


def find(session: Session, text: str, limit: int = 50) -> list[User]:
    """Accounts whose email contains `text` (any case), for an operator."""
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
        "_", "\\_") + "%"
    return list(session.scalars(select(User).where(
        func.lower(User.email).like(pattern, escape="\\")).order_by(User.email).limit(limit)))
