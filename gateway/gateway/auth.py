"""Passwords (argon2) and bearer tokens (JWT, algorithm pinned)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from wecare_common import config
from wecare_common.contract import refusals

ALGORITHM = "HS256"
ISSUER = "wecare"
AUDIENCE = "wecare-api"
TOKEN_TTL = timedelta(minutes=30)
ROLES = ("admin", "hr", "employee", "provider", "network")

_hasher = PasswordHasher()
# Verifying against this keeps a wrong email as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password")


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    company_id: str | None = None
    employee_id: str | None = None
    provider_id: str | None = None
    session_id: str | None = None  # the login session the token belongs to
    network_id: str | None = None  # a network's staff: the network they act for

    @property
    def scoped(self) -> bool:
        """Whether the company, employee, provider or network this person acts for is
        named. An account whose sign-up is still waiting on its service (benefits slow or
        down) has it missing, and a missing scope is no access, never every tenant's."""
        needed = {"admin": (), "hr": (self.company_id,),
                  "employee": (self.company_id, self.employee_id),
                  "provider": (self.provider_id,), "network": (self.network_id,)}
        return all(needed.get(self.role, (None,)))

    @property
    def recipients(self) -> list[str]:
        """Whose notifications this person reads."""
        keys = {"employee": f"employee:{self.employee_id}",
                "hr": f"company:{self.company_id}",
                "provider": f"provider:{self.provider_id}"}
        return [keys[self.role]] if self.role in keys else [f"user:{self.user_id}"]


def secret() -> str:
    """`JWT_SECRET`; never a built-in default (config.secret fails closed)."""
    return config.secret("JWT_SECRET")


# argon2 is deliberately slow C code (~0.1 s): run it in an OS thread so the
# gateway's event loop keeps serving other requests meanwhile.
def hash_password(password: str) -> str:
    return tpool.execute(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        ok = tpool.execute(_hasher.verify, password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(ok and password_hash)


def issue_token(principal: Principal, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    claims: dict[str, Any] = {"sid": principal.session_id} if principal.session_id else {}
    claims |= {
        "iss": ISSUER, "aud": AUDIENCE, "sub": principal.user_id, "role": principal.role,
        "iat": int(now.timestamp()), "exp": int((now + TOKEN_TTL).timestamp()),
        "jti": str(uuid.uuid4()),
        "company_id": principal.company_id, "employee_id": principal.employee_id,
        "provider_id": principal.provider_id, "network_id": principal.network_id,
    }
    return {"access_token": jwt.encode(claims, secret(), algorithm=ALGORITHM),
            "token_type": "Bearer", "expires_in": int(TOKEN_TTL.total_seconds()),
            "role": principal.role}


# Tokens verified already, with when they expire: a client sends the same token with
# each request for its 30 minutes, and checking its signature and claims again (PyJWT
# validates its base64 a character at a time) cost more than the rest of the request's
# parsing. The same bytes verify the same way; only the expiry is checked again.
_verified: dict[tuple[str, str], tuple[Principal, float]] = {}
VERIFIED_KEPT = 10_000


def principal_from(authorization: str | None) -> Principal:
    """The caller named by an `Authorization: Bearer` header, or Unauthenticated."""
    if not authorization or not authorization.startswith("Bearer "):
        raise refusals.TOKEN_REQUIRED()
    key = (secret(), authorization)
    known = _verified.get(key)
    if known is not None and time.time() < known[1]:
        return known[0]
    principal, expires = _verify(authorization)
    if len(_verified) >= VERIFIED_KEPT:
        _verified.clear()
    _verified[key] = (principal, expires)
    return principal


def _verify(authorization: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(
            authorization[len("Bearer "):].strip(), secret(), algorithms=[ALGORITHM],
            audience=AUDIENCE, issuer=ISSUER,
            options={"require": ["exp", "iss", "aud", "sub", "iat"]},
        )
    except jwt.PyJWTError as exc:
        raise refusals.TOKEN_INVALID(reason=str(exc)) from exc
    if claims.get("role") not in ROLES:
        raise refusals.TOKEN_INVALID(reason="unknown role")
    return (Principal(claims["sub"], claims["role"], claims.get("company_id"),
                      claims.get("employee_id"), claims.get("provider_id"), claims.get("sid"),
                      claims.get("network_id")),
            float(claims["exp"]))
