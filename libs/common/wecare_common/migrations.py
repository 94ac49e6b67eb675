"""Alembic, run as its own step, per service: `python -m wecare_common.migrations SERVICE`.

Each service keeps its migrations in `<package>/migrations/`; its `env.py`
calls `run_env` with the service's metadata.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

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
