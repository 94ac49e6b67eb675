"""Bearer tokens: only ours, unexpired, for this audience, with a known role."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from gateway.auth import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    Principal,
    hash_password,
    issue_token,
    principal_from,
    secret,
    verify_password,
)
from wecare_common.errors import Unauthenticated

HR = Principal("u1", "hr", company_id="c1")


def bearer(token: str) -> str:
    return f"Bearer {token}"


def claims(**over: object) -> dict:
    now = datetime.now(UTC)
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "role": "hr", "company_id": "c1",
            "iat": int(now.timestamp()), "exp": int((now + timedelta(minutes=5)).timestamp())}
    return {**base, **over}


def test_a_token_we_issued_names_the_caller() -> None:
    token = issue_token(HR)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 1800
    assert principal_from(bearer(token["access_token"])) == HR


@pytest.mark.parametrize("forge", [
    lambda: jwt.encode(claims(), "another-key-of-enough-length-0123456789", algorithm=ALGORITHM),
    lambda: jwt.encode(claims(aud="someone-else"), secret(), algorithm=ALGORITHM),
    lambda: jwt.encode(claims(iss="someone-else"), secret(), algorithm=ALGORITHM),
    lambda: jwt.encode(claims(exp=int(datetime.now(UTC).timestamp()) - 60), secret(),
                       algorithm=ALGORITHM),
    lambda: jwt.encode({k: v for k, v in claims().items() if k != "exp"}, secret(),
                       algorithm=ALGORITHM),
    lambda: jwt.encode(claims(role="superuser"), secret(), algorithm=ALGORITHM),
], ids=["wrong key", "wrong audience", "wrong issuer", "expired", "no expiry", "unknown role"])
def test_forged_or_stale_tokens_are_refused(forge) -> None:
    with pytest.raises(Unauthenticated):
        principal_from(bearer(forge()))


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused() -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims())}."
    with pytest.raises(Unauthenticated):
        principal_from(bearer(unsigned))


def test_a_tampered_claim_breaks_the_signature() -> None:
    header, _, signature = issue_token(HR)["access_token"].split(".")
    tampered = f"{header}.{_b64(claims(role='admin'))}.{signature}"
    with pytest.raises(Unauthenticated):
        principal_from(bearer(tampered))


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer"])
def test_a_missing_or_foreign_authorization_header_is_refused(header) -> None:
    with pytest.raises(Unauthenticated):
        principal_from(header)


def test_passwords_are_hashed_with_argon2_and_verified() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong")
    assert not verify_password(None, "anything")  # an invited user has no password yet


@pytest.mark.parametrize("principal, scoped", [
    (Principal("u", "admin"), True),
    (Principal("u", "hr", company_id="c1"), True),
    (Principal("u", "hr"), False),
    (Principal("u", "employee", "c1", "e1"), True),
    (Principal("u", "employee", "c1"), False),
    (Principal("u", "employee", None, "e1"), False),
    (Principal("u", "provider", provider_id="p1"), True),
    (Principal("u", "provider", company_id="c1"), False),
    (Principal("u", "network", network_id="n1"), True),
    (Principal("u", "network", company_id="c1"), False),
], ids=["admin", "hr", "hr unlinked", "employee", "employee unlinked",
        "employee without company", "provider", "provider unlinked", "network staff",
        "network staff unlinked"])
def test_a_person_without_the_tenant_they_act_for_has_no_scope(principal, scoped) -> None:
    """A sign-up still waiting leaves the link missing: no scope, not every scope."""
    assert principal.scoped is scoped


def test_a_token_naming_no_login_session_is_not_one_of_ours(tmp_path) -> None:
    from gateway.models import Base, User
    from gateway.users import session_standing, start_session
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine(f"sqlite:///{tmp_path / 'g.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        assert session_standing(session, None) is None
        assert session_standing(session, "no-such-session") is None
        principal, _ = start_session(session, HR)
        assert session_standing(session, principal.session_id) is None  # no such account
        users_row = User(id=HR.user_id, email="hr@example.org", role="hr", company_id="c1",
                         created_at=datetime.now(UTC))
        session.add(users_row)
        session.commit()
        assert session_standing(session, principal.session_id).state == "active"
    engine.dispose()
