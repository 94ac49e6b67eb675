"""What an account may do now (docs/api.md#how-access-ends), as plain functions:

- `active`: what its role and scope allow;
- `read_only`: an employee who left, until their access ends (`WECARE_LEAVER_ACCESS_DAYS`
  after the departure was recorded, 30 by default): they read and download (their
  statement, their vouchers) and may cancel a voucher or sign out, nothing else;
- `disabled` (an operator disabled it, or an HR manager removed a colleague's access)
  and `access_ended` (a leaver past that day): nothing, not even signing in.

Moments are read from `wecare_common.clock`, so a test can let a grace period pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from wecare_common import clock, config
from wecare_common.contract import refusals
from wecare_common.db import aware
from wecare_common.errors import DomainError

LEAVER_ACCESS_DAYS = "WECARE_LEAVER_ACCESS_DAYS"
DEFAULT_LEAVER_ACCESS_DAYS = 30


@dataclass(frozen=True)
class Standing:
    state: str  # active | read_only | disabled | access_ended
    until: datetime | None = None  # read_only: when access ends; access_ended: when it did

    @property
    def ended(self) -> bool:
        return self.state in ("disabled", "access_ended")

    @property
    def read_only(self) -> bool:
        return self.state == "read_only"


ACTIVE = Standing("active")


def standing_of(*, disabled_at: datetime | None, left_at: datetime | None,
                access_until: datetime | None, now: datetime) -> Standing:
    if disabled_at is not None:
        return Standing("disabled")
    if access_until is not None and now >= aware(access_until):
        return Standing("access_ended", aware(access_until))
    if left_at is not None:
        return Standing("read_only", aware(access_until) if access_until else None)
    return ACTIVE


def refusal(standing: Standing, field: str | None = "email") -> DomainError | None:
    """Why this account may not sign in (nor set a password), or None when it may."""
    if standing.state == "disabled":
        return refusals.ACCOUNT_DISABLED(field=field)
    if standing.state == "access_ended" and standing.until is not None:
        return refusals.ACCESS_ENDED(ended_on=day_of(standing.until), field=field)
    return None


def day_of(moment: datetime) -> date:
    """The day a moment falls on in Italy, as a person is told it."""
    return moment.astimezone(clock.ROME).date()


def leaver_access_days() -> int:
    """How many days a leaver keeps read-only access (WECARE_LEAVER_ACCESS_DAYS, a whole
    number from 0; the gateway does not start with anything else)."""
    text = config.env(LEAVER_ACCESS_DAYS)
    if text is None:
        return DEFAULT_LEAVER_ACCESS_DAYS
    if not text.strip().isdecimal() or not text.strip().isascii() or int(text) > 3650:
        raise config.MissingSetting(f"{LEAVER_ACCESS_DAYS} must be a number of days from 0 "
                                    f"to 3650, not {text!r}")
    return int(text)


def leaver_access_until(left_at: datetime) -> datetime:
    return left_at + timedelta(days=leaver_access_days())
