"""Alembic, run as its own step, per service: `python -m wecare_common.migrations SERVICE`.

Each service keeps its migrations in `<package>/migrations/`; its `env.py`
calls `run_env` with the service's metadata.
"""

from __future__ import annotations

import argparse
import importlib
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import MetaData, text
from sqlalchemy.orm import Session

from wecare_common.db import ensure_schema, make_engine

SERVICES = ("catalog", "benefits", "wallet", "notifications", "gateway")


def alembic_config(service: str, url: str | None = None) -> Config:
    package = importlib.import_module(service)
    if package.__file__ is None:
        raise ValueError(f"{service} is not a package on disk")
    folder = Path(package.__file__).parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    cfg.attributes["service"] = service
    cfg.attributes["url"] = url
    return cfg


@lru_cache(maxsize=16)
def revisions_of(service: str) -> tuple[str, frozenset[str]] | None:
    """The head revision this code's migrations lead to, and every revision they know;
    None for a process without migrations of its own."""
    try:
        script = ScriptDirectory.from_config(alembic_config(service))
        return (script.get_current_head() or "",
                frozenset(s.revision for s in script.walk_revisions()))
    except (ImportError, ValueError, CommandError):
        return None


def schema_behind(service: str, session: Session) -> str | None:
    """Why the database's schema is older than this code needs (its migration Job has
    not run yet), or None: at this code's head, or at a revision this code does not know,
    a later version's (its expand steps keep this code working: docs/operations.md#upgrades)."""
    known = revisions_of(service)
    if known is None:
        return None
    head, revisions = known
    at = session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if head in at or any(revision not in revisions for revision in at):
        return None
    return f"at {', '.join(at) or 'no revision'}, this code needs {head}"


def upgrade(service: str, url: str | None = None) -> None:
    command.upgrade(alembic_config(service, url), "head")


def run_env(metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online mode only)."""
    from alembic import context

    service = context.config.attributes["service"]
    engine = make_engine(service, context.config.attributes.get("url"))
    ensure_schema(engine, service)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=engine.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description="migrate WeCare services to head")
    parser.add_argument("services", nargs="*", default=list(SERVICES))
    for service in parser.parse_args().services:
        upgrade(service)
        print(f"migrated {service}")


if __name__ == "__main__":
    main()
