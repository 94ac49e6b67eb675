"""A fringe purchase whose year's limit the wallet has not heard yet asks benefits for
it with no database transaction open (docs/architecture.md#rules-of-the-house)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from wallet import vouchers
from wallet.models import FringeUsage


def test_the_fringe_limit_is_asked_with_no_transaction_open(make_world) -> None:
    world = make_world(fund_cents=100_000, fringe_price_cents=20_000)
    employee = world.employees[0]
    world.grant(employee, 50_000)
    with world.factory() as s:
        s.execute(delete(FringeUsage).where(FringeUsage.employee_id == employee))
        s.commit()
        asked = []

        def fringe_limit(employee_id: str, year: int) -> int:
            assert not s.in_transaction(), "benefits asked inside a transaction"
            asked.append((employee_id, year))
            return 100_000

        voucher = vouchers.purchase(s, employee_id=employee, offering_id=world.offerings[
            "fringe"], plan_id=None, idempotency_key=str(uuid.uuid4()),
            fringe_limit=fringe_limit)
        s.commit()
        assert voucher["amount_cents"] == 20_000 and len(asked) == 1
        usage = s.get(FringeUsage, (employee, asked[0][1]))
        assert (usage.limit_cents, usage.used_cents) == (100_000, 20_000)
