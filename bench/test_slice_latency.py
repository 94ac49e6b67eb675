"""The thin slice's latency, step by step, through the whole system on this
machine (gateway → RPC → services → PostgreSQL, events → notifications → SMTP).

Run: make bench-slice. Prints a table; asserts nothing about speed."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import jwt
from support.e2e import Company, add_employee, create_plan

ROUNDS = 20


def test_slice_latency(stack, admin, fake) -> None:
    samples: dict[str, list[float]] = {}

    @contextmanager
    def step(name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        samples.setdefault(name, []).append((time.perf_counter() - start) * 1000)

    for _ in range(ROUNDS):
        with step("whole slice"):
            hr_email = fake.email("hr")
            with step("POST /companies"):
                stack.call("POST", "/companies", admin, json={
                    "name": "Bench S.r.l.", "vat_number": fake.vat_number(),
                    "hr_manager": {"email": hr_email, "first_name": "A", "last_name": "B",
                                   "password": "bench-password-1"}})
            with step("POST /auth/token"):
                token = stack.token(hr_email, "bench-password-1")
            # The HR token carries the company (a tenant claim).
            claims = jwt.decode(token, options={"verify_signature": False})
            company = Company(claims["company_id"], token, hr_email)
            with step("POST /employees"):
                employee = add_employee(stack, company, fake)
            with step("POST /topups"):
                topup = stack.call("POST", f"/companies/{company.id}/topups", company.hr,
                                   key=str(uuid.uuid4()),
                                   json={"amount_cents": 100_000, "method": "bank_transfer"})
            with step("POST /topups/{id}/confirmation"):
                stack.call("POST", f"/topups/{topup.json()['id']}/confirmation", admin)
            with step("POST /plans"):
                plan = create_plan(stack, company)
            with step("POST /plans/{id}/grants"):
                stack.call("POST", f"/plans/{plan['id']}/grants", company.hr,
                           key=str(uuid.uuid4()),
                           json={"amount_cents": 25_000, "employee_ids": [employee["id"]]})
            employee_token = stack.token(employee["email"], employee["password"])
            with step("GET /me/wallet"):
                stack.call("GET", "/me/wallet", employee_token)
            to = employee["email"]
            with step("grant → email accepted by SMTP"):
                stack.smtp.wait_for(lambda m, to=to: m["To"] == to and "credito" in m["Subject"])

    print(f"\nslice latency over {ROUNDS} rounds (ms), whole system in one process\n")
    print(f"{'step':<34} {'p50':>8} {'p95':>8} {'max':>8}")
    for name, values in samples.items():
        values.sort()
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        print(f"{name:<34} {statistics.median(values):>8.1f} {p95:>8.1f} {values[-1]:>8.1f}")
    assert all(len(v) == ROUNDS for v in samples.values())
