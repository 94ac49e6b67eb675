"""Each service's migrations are one line of revisions: two branches that both added
"the next" migration (each fine alone) leave two heads, and `upgrade head` then stops
every test run and every deployment. Caught here, with no database."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from wecare_common.migrations import SERVICES, alembic_config


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_s_migrations_have_one_head(service: str) -> None:
    heads = ScriptDirectory.from_config(alembic_config(service)).get_heads()
    assert len(heads) == 1, f"{service}: renumber one of {heads} after the other"
