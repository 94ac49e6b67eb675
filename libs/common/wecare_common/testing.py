"""Domain unit tests in memory: a service's own tables in an in-memory SQLite
database, reached through `db.make_engine` (the SQLite set-up `make run` uses by
default: its pragmas, foreign keys on, SQLAlchemy's own BEGIN) and sessions from
`outbox_sessionmaker` (so `record_event` writes the outbox rows it writes in a
service). No PostgreSQL, no RabbitMQ: a test's whole database costs milliseconds.

    with memory_database("catalog", Base.metadata) as factory:
        with factory() as session: ...
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session, sessionmaker

from wecare_common.db import make_engine
from wecare_common.outbox import outbox_sessionmaker


@contextmanager
def memory_database(service: str, metadata: MetaData) -> Iterator[sessionmaker[Session]]:
    """A session factory over a fresh in-memory database holding `metadata`'s tables,
    gone when the block ends. `make_engine` opens a connection per checkout (NullPool):
    a named, shared in-memory database lives while one connection holds it open, so
    this block keeps one open throughout."""
    name = f"wecare-{service}-{uuid.uuid4().hex}"
    engine = make_engine(service, f"sqlite:///file:{name}?mode=memory&cache=shared&uri=true")
    keeper = engine.raw_connection()
    try:
        metadata.create_all(engine)
        yield outbox_sessionmaker(engine, metadata)
    finally:
        keeper.close()
        engine.dispose()


def outbox_events(session: Session, metadata: MetaData) -> list[dict[str, Any]]:
    """The events recorded so far (in the session's transaction too), oldest first:
    each `{"type": …, "payload": …, "company_id": …}`."""
    outbox = metadata.tables["outbox"]
    rows = session.execute(select(outbox.c.event_type, outbox.c.envelope)
                           .order_by(outbox.c.seq)).all()
    return [{"type": kind, "payload": envelope["payload"],
             "company_id": envelope.get("company_id")} for kind, envelope in rows]
