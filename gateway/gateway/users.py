"""The people who sign in: their accounts and roles."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wecare_common import clock, links
from wecare_common.contract import events, refusals
from wecare_common.db import aware
from wecare_common.errors import Conflict, DomainError
from wecare_common.outbox import record_event

from gateway.auth import Principal, hash_password, verify_password
from gateway.models import LoginSession, OneTimeToken, User
from gateway.standing import Standing, refusal, standing_of


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.role, user.company_id, user.employee_id, user.provider_id,
                     network_id=user.network_id)


def ensure_email_free(session: Session, email: str, field: str = "email") -> None:
    if session.scalar(select(User.id).where(func.lower(User.email) == email.lower())):
        raise refusals.EMAIL_TAKEN(field=field)


def create_user(session: Session, *, email: str, password: str | None, role: str,
                company_id: str | None = None, employee_id: str | None = None,
                provider_id: str | None = None, network_id: str | None = None) -> User:
    ensure_email_free(session, email)
    user = User(id=str(uuid.uuid4()), email=email.lower(),
                password_hash=hash_password(password) if password else None, role=role,
                company_id=company_id, employee_id=employee_id, provider_id=provider_id,
                network_id=network_id, created_at=datetime.now(UTC))
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # another account with this email, made at once
        session.rollback()
        raise refusals.EMAIL_TAKEN(field="email") from exc
    return user


def authenticate(session: Session, email: str, password: str) -> Principal:
    """The person, for the right password; an account disabled, past its access or
    whose sign-up is not done is refused (after the password: nothing is told to
    someone who does not know it)."""
    user = session.scalar(select(User).where(User.email == email.lower()))
    stored, principal = (user.password_hash, principal_of(user)) if user else (None, None)
    now_standing = standing(user) if user else None
    session.rollback()  # reads only: no transaction stays open during the slow hashing
    if not verify_password(stored, password) or principal is None:
        raise refusals.WRONG_CREDENTIALS()
    if now_standing is not None and (refused := refusal(now_standing)) is not None:
        raise refused
    if not principal.scoped:  # the right password, before the sign-up is done
        raise unfinished_sign_up()
    return principal


def standing(user: User) -> Standing:
    """What the account may do now (gateway/gateway/standing.py)."""
    return standing_of(disabled_at=user.disabled_at, left_at=user.left_at,
                       access_until=user.access_until, now=clock.now())


def unfinished_sign_up() -> DomainError:
    return refusals.SIGN_UP_UNFINISHED(field="email")


def linked(user: User) -> bool:
    """Whether the account's sign-up is done: linked to what it acts for."""
    return principal_of(user).scoped


def ensure_admin(session: Session, email: str | None, password: str | None) -> None:
    """The first admin, from WECARE_ADMIN_EMAIL / WECARE_ADMIN_PASSWORD. Two replicas
    starting at once both find none; the second's insert meets the first's, and the
    admin is there: not a failed start (tests/lifecycle started both, and one died)."""
    if not email or not password:
        return
    if session.scalar(select(User.id).where(User.email == email.lower())) is None:
        try:
            create_user(session, email=email, password=password, role="admin")
            session.commit()
        except (IntegrityError, Conflict):
            session.rollback()
            if session.scalar(select(User.id).where(User.email == email.lower())) is None:
                raise


def ensure_emails_free(session: Session, emails: list[str]) -> None:
    lowered = [e.lower() for e in emails]
    taken: set[str] = set()
    for start in range(0, len(lowered), 5000):
        taken |= set(session.scalars(select(User.email).where(
            User.email.in_(lowered[start:start + 5000]))))
    if taken:
        raise refusals.EMAILS_TAKEN(count=len(taken), emails=sorted(taken)[:20], field="email")


def taken_emails(session: Session, emails: list[str]) -> set[str]:
    """Which of these emails already have an account (lower case)."""
    lowered = [e.lower() for e in emails]
    taken: set[str] = set()
    for start in range(0, len(lowered), 5000):
        taken |= set(session.scalars(select(User.email).where(
            User.email.in_(lowered[start:start + 5000]))))
    return taken


def pending_invitations(session: Session, employee_ids: list[str]) -> set[str]:
    """Which of these employees were invited and have set no password yet."""
    if not employee_ids:
        return set()
    return set(session.scalars(select(User.employee_id).where(
        User.employee_id.in_(employee_ids), User.password_hash.is_(None))))


def of_employee(session: Session, employee_id: str) -> User | None:
    return session.scalar(select(User).where(User.employee_id == employee_id))


def create_invited(session: Session, people: list[tuple[str, str, str]],
                   company_id: str) -> None:
    """Employee accounts without a password yet (imported: they are invited, each in
    their language): (email, employee id, language) each. One statement for the lot; an
    email already taken was refused upstream."""
    now = datetime.now(UTC)
    ensure_emails_free(session, [e for e, _, _ in people])
    rows = [{"id": str(uuid.uuid4()), "email": email.lower(), "password_hash": None,
             "role": "employee", "company_id": company_id, "employee_id": employee_id,
             "created_at": now} for email, employee_id, _ in people]
    if rows:
        session.execute(insert(User), rows)
    for row, (_, _, language) in zip(rows, people, strict=True):  # no earlier link to end
        send_link(session, User(**row), "invitation", language=language, ends_earlier=False)


REFRESH_TTL = timedelta(days=14)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, principal: Principal) -> tuple[Principal, str]:
    """A login session and its refresh token (only its hash is kept)."""
    refresh = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    login = LoginSession(id=str(uuid.uuid4()), user_id=principal.user_id,
                         refresh_hash=_digest(refresh), expires_at=now + REFRESH_TTL,
                         created_at=now)
    session.add(login)
    session.commit()
    return dataclasses.replace(principal, session_id=login.id), refresh


def refresh_session(session: Session, refresh: str) -> tuple[Principal, str]:
    """A new access token and a new refresh token; the old refresh token is spent."""
    login = session.scalar(select(LoginSession).where(
        LoginSession.refresh_hash == _digest(refresh)).with_for_update())
    now = datetime.now(UTC)
    if login is None or login.revoked_at is not None or aware(login.expires_at) < now:
        raise refusals.REFRESH_TOKEN_INVALID()
    user = session.get(User, login.user_id)
    if user is None or standing(user).ended:
        raise refusals.REFRESH_TOKEN_INVALID()
    new = secrets.token_urlsafe(32)
    login.refresh_hash = _digest(new)
    session.commit()
    return dataclasses.replace(principal_of(user), session_id=login.id), new


def end_session(session: Session, session_id: str | None) -> None:
    session.execute(update(LoginSession).where(LoginSession.id == session_id,
                                               LoginSession.revoked_at.is_(None))
                    .values(revoked_at=datetime.now(UTC)))
    session.commit()
    forget_sessions()


# Every request with a token asks whether its session still stands, and what its account
# may do now (gateway/gateway/standing.py). A session found alive is believed for
# SESSION_CHECK_TTL seconds without asking again: ending it (sign-out, a new password, an
# account disabled, a departure) through this process is seen here at once (the cache is
# emptied); through another gateway replica, within SESSION_CHECK_TTL. (A look-up per
# request was the gateway's second cost on the voucher path, after the Idempotency-Key's
# writes.) docs/api.md#how-access-ends.
SESSION_CHECK_TTL = 2.0
# session id → (monotonic time until which it is believed, what its account may do)
_alive: dict[str, tuple[float, Standing]] = {}


def forget_sessions() -> None:
    """Ask again for every session (this process): one ended, or its account changed."""
    _alive.clear()


def session_standing(session: Session, session_id: str | None) -> Standing | None:
    """What the session's account may do now; None when the session is not one we
    issued, or has ended (signed out, a new password, the account disabled)."""
    if session_id is None:  # not a token we issued
        return None
    mono = time.monotonic()
    known = _alive.get(session_id)
    if known is not None and known[0] > mono:
        return known[1]
    row = session.execute(
        select(LoginSession.revoked_at, User.disabled_at, User.left_at, User.access_until)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == session_id)).first()
    if row is None or row.revoked_at is not None:
        return None
    found = standing_of(disabled_at=row.disabled_at, left_at=row.left_at,
                        access_until=row.access_until, now=clock.now())
    if not found.ended:
        if len(_alive) > 100_000:  # believed, not needed: forget them all
            _alive.clear()
        _alive[session_id] = (mono + SESSION_CHECK_TTL, found)
    return found


def end_sessions(session: Session, user_id: str, now: datetime) -> None:
    """Every login session of the person ends: their access and refresh tokens with it."""
    session.execute(update(LoginSession).where(LoginSession.user_id == user_id,
                                               LoginSession.revoked_at.is_(None))
                    .values(revoked_at=now))


INVITATION_TTL = timedelta(days=7)
RESET_TTL = timedelta(hours=1)
# a provider's application waits this long for its address's confirmation, then lapses
CONFIRMATION_TTL = timedelta(hours=24)


def send_link(session: Session, user: User, purpose: str, name: str = "", *,
              language: str, ends_earlier: bool = True) -> None:
    """A one-time link to set a password, emailed through notifications in `language`
    (the person's where known: an employee's; else the asking request's). The person's
    earlier links of the same purpose end (an invitation sent again: only the newest
    works). The event carries the link's id, never its token (wecare_common.links)."""
    now = datetime.now(UTC)
    if ends_earlier:
        end_links(session, user.id, now, purpose)
    link_id = links.new_link_id()
    ttl = INVITATION_TTL if purpose == "invitation" else RESET_TTL
    session.add(OneTimeToken(token_hash=_digest(links.link_token(link_id)), user_id=user.id,
                             purpose=purpose, expires_at=now + ttl))
    kind = events.USER_INVITED if purpose == "invitation" else events.PASSWORD_RESET_REQUESTED
    record_event(session, kind, {
        "user_id": user.id, "email": user.email, "role": user.role, "name": name,
        "link_id": link_id, "expires_in_hours": int(ttl.total_seconds() // 3600),
        "language": language},
        producer="gateway", company_id=user.company_id)


def tell_applicant(session: Session, user: User, *, name: str, vat_number: str,
                   known: bool, language: str) -> None:
    """A provider's application, told to the address it gave and to nobody else, in the
    applicant's language: the one-time link that confirms it (`confirmation`), or, when
    the address had an account or an application already (`known`), word of it with no
    link."""
    link_id = None
    if not known:
        now = datetime.now(UTC)
        link_id = links.new_link_id()
        session.add(OneTimeToken(token_hash=_digest(links.link_token(link_id)),
                                 user_id=user.id, purpose="confirmation",
                                 expires_at=now + CONFIRMATION_TTL))
    record_event(session, events.PROVIDER_APPLIED, {
        "user_id": user.id, "email": user.email, "name": name, "vat_number": vat_number,
        "known": known, "link_id": link_id, "language": language,
        "expires_in_hours": int(CONFIRMATION_TTL.total_seconds() // 3600)},
        producer="gateway", company_id=None)


def confirmation_link(session: Session, token: str) -> OneTimeToken:
    """The unspent confirmation link of this token (locked), or link_invalid."""
    found = session.scalar(select(OneTimeToken).where(
        OneTimeToken.token_hash == _digest(token)).with_for_update())
    if (found is None or found.purpose != "confirmation" or found.used_at is not None
            or aware(found.expires_at) < datetime.now(UTC)):
        raise refusals.LINK_INVALID(field="token")
    return found


def end_links(session: Session, user_id: str, now: datetime, purpose: str | None = None
              ) -> None:
    """The person's unused one-time links stop working (those of `purpose`, or all)."""
    statement = update(OneTimeToken).where(OneTimeToken.user_id == user_id,
                                           OneTimeToken.used_at.is_(None))
    if purpose is not None:
        statement = statement.where(OneTimeToken.purpose == purpose)
    session.execute(statement.values(used_at=now))


def set_password(session: Session, token: str, password: str) -> Principal:
    """Spend a one-time token: every other link of the person (invitations, resets)
    and every earlier login session of theirs end with it."""
    found = session.scalar(select(OneTimeToken).where(
        OneTimeToken.token_hash == _digest(token)).with_for_update())
    now = datetime.now(UTC)
    if (found is None or found.used_at is not None or aware(found.expires_at) < now
            or found.purpose == "confirmation"):  # that one confirms an application
        raise refusals.LINK_INVALID(field="token")
    user = session.get_one(User, found.user_id)
    if (refused := refusal(standing(user), field="token")) is not None:
        raise refused  # disabled, or past its access: a link changes nothing
    if not linked(user):  # a link sent before the sign-up was done: it waits for it
        raise unfinished_sign_up()
    end_links(session, found.user_id, now)
    user.password_hash = hash_password(password)
    end_sessions(session, found.user_id, now)
    session.commit()
    forget_sessions()
    return principal_of(user)


def get(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise refusals.ACCOUNT_GONE()
    return user


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.lower()))
