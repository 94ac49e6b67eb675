"""Rate limits (OWASP API4): fixed windows counted in the gateway's database,
so every replica sees the same count. Over the limit: 429 with Retry-After."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from wecare_common.contract import refusals
from wecare_common.db import insert_on_conflict

from gateway.models import RateCounter


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int
    window_s: int
    # the refusal past the limit, when it has a code of its own (it takes retry_after and
    # the attempts as `per_day`); else rate_limited
    refusal: refusals.Refusal | None = None

    def refused(self, retry_after: int) -> Exception:
        if self.refusal is None:
            return refusals.RATE_LIMITED(retry_after=retry_after)
        return self.refusal(retry_after=retry_after, per_day=self.attempts)


# Sign-in attempts count per account *and* client address: someone guessing from one
# address locks only that pair, and the person still signs in from anywhere else;
# the address's own limit stops one address trying many accounts. A sign-in that
# succeeds gives its attempts back, so only failures (and attempts in flight) count.
LOGIN_PER_ACCOUNT_AND_ADDRESS = Limit("login", 5, 300)
LOGIN_PER_ADDRESS = Limit("login-address", 50, 300)
RESET_PER_ADDRESS = Limit("reset-address", 10, 3600)
# per account too: from many addresses, nobody fills a person's mailbox with resets
RESET_PER_ACCOUNT = Limit("reset-account", 3, 3600)
# Each proposal may email an address the employee chose: a few a day is what a person
# proposes; more is someone using WeCare to write to strangers.
PROPOSALS_PER_EMPLOYEE = Limit("proposals-employee", 5, 86400, refusals.TOO_MANY_PROPOSALS)
# The public provider application (issue 23.5): each one may email an address the
# applicant typed, so a few an hour from one client address; the answer is the same
# whether the email is known or not, and the outcome goes to the address.
APPLICATIONS_PER_ADDRESS = Limit("apply-address", 5, 3600)
# 80-bit voucher codes: 10 wrong codes per 10 minutes makes guessing hopeless.
REDEEM_FAILURES = Limit("redeem-failures", 10, 600)


def _window(limit: Limit, now: float) -> tuple[int, int]:
    start = int(now // limit.window_s * limit.window_s)
    return start, start + limit.window_s - int(now)


def check(session: Session, limit: Limit, subject: str, now: float | None = None) -> None:
    """Refuse when `subject` has used up its attempts in this window."""
    now = time.time() if now is None else now
    start, left = _window(limit, now)
    count = session.scalar(select(RateCounter.count).where(
        RateCounter.key == f"{limit.name}:{subject}", RateCounter.window_start == start))
    if count is not None and count >= limit.attempts:
        raise limit.refused(left)


def count(session: Session, limit: Limit, subject: str, now: float | None = None) -> int:
    """One more attempt, committed at once whatever the request's outcome (the
    caller's session must hold nothing else uncommitted)."""
    now = time.time() if now is None else now
    start, _ = _window(limit, now)
    key = f"{limit.name}:{subject}"
    statement = insert_on_conflict(session, RateCounter).values(
        key=key, window_start=start, count=1)
    value = session.execute(statement.on_conflict_do_update(
        index_elements=["key", "window_start"],
        set_={"count": RateCounter.count + 1}).returning(RateCounter.count)).scalar_one()
    # old windows go as new ones start
    session.execute(delete(RateCounter).where(RateCounter.key == key,
                                              RateCounter.window_start < start))
    session.commit()
    return value


def pair(*parts: str) -> str:
    """One subject made of several (an email and an address), of a bounded length."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def give_back(session: Session, limit: Limit, subject: str, now: float) -> None:
    """An attempt taken at `now` that turned out not to count (a sign-in that succeeded).
    Committed at once."""
    start, _ = _window(limit, now)
    session.execute(update(RateCounter).where(
        RateCounter.key == f"{limit.name}:{subject}", RateCounter.window_start == start,
        RateCounter.count > 0).values(count=RateCounter.count - 1))
    session.commit()


def take(session: Session, limit: Limit, subject: str, now: float | None = None) -> None:
    """One attempt counted, then refused if it is past the limit: atomic across
    replicas (the count is one statement), for limits on every attempt, not only the
    failed ones."""
    now = time.time() if now is None else now
    if count(session, limit, subject, now) > limit.attempts:
        left = _window(limit, now)[1]
        raise limit.refused(left)
