"""Sign-ups with no orphan: the account is recorded first (unlinked, no password),
the service is asked with no transaction open, then the account is linked. A refusal
leaves nothing and sends no email; a service out of reach leaves it waiting, and a
retry with the same key (or the minute's sweep) finishes it with the same result."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from gateway.models import Base, Signup, User, outbox
from sqlalchemy import create_engine, func, select
from wecare_common.errors import Conflict, ServiceTimeout, Unauthenticated
from wecare_common.outbox import outbox_sessionmaker

from gateway import signups, users


@pytest.fixture
def session(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'g.db'}")
    Base.metadata.create_all(engine)
    with outbox_sessionmaker(engine, Base.metadata)() as s:
        yield s
    engine.dispose()


class Benefits:
    """The service, keyed: asked again with a key, the same record."""

    def __init__(self, session) -> None:
        self.session, self.kept, self.calls = session, {}, []
        self.away = self.refuse = False

    def __call__(self, service: str, method: str):
        def call(company_id: str, idempotency_key: str, **data: Any) -> dict[str, Any]:
            assert not self.session.in_transaction(), "a service called inside a transaction"
            self.calls.append(idempotency_key)
            if self.refuse:
                raise Conflict("an employee with this fiscal_code is already enrolled",
                               {"fiscal_code": ["already enrolled"]})
            view = self.kept.setdefault(idempotency_key, {"id": str(uuid.uuid4()), **data})
            if self.away:
                raise ServiceTimeout("the benefits service did not answer within 60s")
            return view
        return call


def _enrol(session, rpc, key: str | None, email: str = "anna@example.org",
           password: str | None = None, **more: str) -> dict[str, Any]:
    data = {"email": email, "first_name": "Anna", "fiscal_code": "BLUNNA80A41H501X", **more}
    return signups.sign_up(
        session, kind="employee", caller="hr-1", key=key,
        request_hash=signups.fingerprint(data), email=email, role="employee",
        password=password, company_id="c1", invite_name="Anna", rpc=rpc,
        call={"service": "benefits", "method": "enroll_employee", "args": ["c1"],
              "kwargs": data})


def _invitations(session) -> int:
    count = session.scalar(select(func.count()).select_from(outbox).where(
        outbox.c.event_type == "user.invited"))
    session.commit()
    return count


def test_an_employee_is_enrolled_then_linked_and_invited(session) -> None:
    rpc = Benefits(session)
    employee = _enrol(session, rpc, "k1")
    user = users.find_by_email(session, "anna@example.org")
    assert (user.employee_id, user.company_id) == (employee["id"], "c1")
    assert _invitations(session) == 1
    assert _enrol(session, rpc, "k1") == employee  # the same key: the same answer
    assert rpc.calls == [rpc.calls[0]] and _invitations(session) == 1


def test_the_invitation_is_written_in_the_employee_s_language(session) -> None:
    rpc = Benefits(session)
    _enrol(session, rpc, "k1", language="en")  # benefits' view: the employee's language
    _enrol(session, rpc, "k2", email="bruno@example.org")  # none in the view: Italian
    languages = {envelope["payload"]["email"]: envelope["payload"]["language"]
                 for envelope in session.scalars(select(outbox.c.envelope).where(
                     outbox.c.event_type == "user.invited"))}
    assert languages == {"anna@example.org": "en", "bruno@example.org": "it"}


def test_a_refusal_leaves_no_account_and_sends_nothing(session) -> None:
    rpc = Benefits(session)
    rpc.refuse = True
    with pytest.raises(Conflict):
        _enrol(session, rpc, "k2")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(User)) == 0
    assert session.scalar(select(func.count()).select_from(Signup)) == 0
    assert _invitations(session) == 0
    rpc.refuse = False  # the email is free again
    assert _enrol(session, rpc, "k3")["id"]


def test_a_service_out_of_reach_leaves_it_waiting_and_the_key_finishes_it(session) -> None:
    rpc = Benefits(session)
    rpc.away = True
    with pytest.raises(ServiceTimeout):
        _enrol(session, rpc, "k4", password="a-good-password-1")
    session.rollback()
    user = users.find_by_email(session, "anna@example.org")
    assert user.employee_id is None and user.password_hash is None  # waiting: no way in
    with pytest.raises(Unauthenticated):
        users.authenticate(session, "anna@example.org", "a-good-password-1")
    with pytest.raises(Conflict):  # the email is taken meanwhile: no second account
        _enrol(session, rpc, "another-key")
    session.rollback()
    rpc.away = False
    employee = _enrol(session, rpc, "k4", password="a-good-password-1")
    assert rpc.calls[0] == rpc.calls[-1] and len(rpc.kept) == 1  # one record kept
    assert users.authenticate(session, "anna@example.org", "a-good-password-1").employee_id \
        == employee["id"]
    assert _invitations(session) == 0  # a password was given: no invitation


def test_the_sweep_finishes_a_sign_up_left_waiting(session) -> None:
    rpc = Benefits(session)
    rpc.away = True
    with pytest.raises(ServiceTimeout):
        _enrol(session, rpc, None)  # no key: nobody can retry it, the sweep does
    session.rollback()
    rpc.away = False
    assert signups.finish_pending(session, rpc, older_than=timedelta(0)) == 1
    user = users.find_by_email(session, "anna@example.org")
    assert user.employee_id == next(iter(rpc.kept.values()))["id"]
    assert _invitations(session) == 1



def test_an_application_is_told_in_the_applicant_s_language_known_or_not(session) -> None:
    """What goes to the address carries the applicant's language, as does what the
    catalog will be asked (it keeps it with the provider for every later email)."""
    def apply(email: str, key: str) -> None:
        data = {"email": email, "name": "Ludoteca", "vat_number": "45678900049",
                "language": "en"}
        signups.apply(session, key=key, request_hash=signups.fingerprint(data), email=email,
                      password="a-good-password-1", name="Ludoteca",
                      vat_number="45678900049", language="en",
                      call={"service": "catalog", "method": "register_provider", "args": [],
                            "kwargs": data})

    apply("nuovo@example.org", "a1")
    users.create_user(session, email="noto@example.org", password=None, role="hr")
    session.commit()
    apply("noto@example.org", "a2")
    told = {p["email"]: p for p in (row.envelope["payload"] for row in session.execute(
        select(outbox.c.envelope).where(outbox.c.event_type == "provider.applied")))}
    assert {e: (p["known"], p["language"]) for e, p in told.items()} == {
        "nuovo@example.org": (False, "en"), "noto@example.org": (True, "en")}
    signup = session.scalar(select(Signup).where(Signup.status == "unconfirmed"))
    assert signup is not None and signup.call["kwargs"]["language"] == "en"


def test_two_gateways_starting_at_once_make_one_admin(tmp_path, monkeypatch) -> None:
    """Both replicas look and find no admin; the second's insert meets the first's, and
    it starts all the same (one admin)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'g.db'}")
    Base.metadata.create_all(engine)
    first, second = (outbox_sessionmaker(engine, Base.metadata)() for _ in range(2))
    users.ensure_admin(first, "admin@wecare.test", "admin-password-1")
    looked = type(second).scalar
    looks: list[Any] = []

    def before_the_first_committed(self: Any, *args: Any, **kwargs: Any) -> Any:
        looks.append(args)
        return None if len(looks) == 1 else looked(self, *args, **kwargs)

    monkeypatch.setattr(type(second), "scalar", before_the_first_committed)
    monkeypatch.setattr(users, "ensure_email_free", lambda *_: None)  # nor did this look
    users.ensure_admin(second, "admin@wecare.test", "admin-password-1")
    monkeypatch.undo()
    assert len(looks) == 2  # it tried, met the first's admin, and looked again
    assert first.scalar(select(func.count()).select_from(User)) == 1
    first.close()
    second.close()
    engine.dispose()
