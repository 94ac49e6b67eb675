"""The catalog's domain rules in memory: its own tables in an in-memory SQLite
database (wecare_common.testing), a session per test; no infrastructure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from catalog.models import Base
from sqlalchemy.orm import Session
from wecare_common.testing import memory_database


@pytest.fixture
def memory_session() -> Iterator[Session]:
    with memory_database("catalog", Base.metadata) as factory, factory() as session:
        yield session
