"""Configuration, read from the environment in this one place (DESIGN §6)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672//"
# Where `make run` keeps its SQLite files when DATABASE_URL is not set.
DEFAULT_DATA_DIR = Path(os.environ.get("WECARE_DATA_DIR", "var"))


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def amqp_uri() -> str:
    return env("AMQP_URI", DEFAULT_AMQP_URI)  # type: ignore[return-value]


def database_url(service: str) -> str:
    """The URL a service's engine connects to.

    PostgreSQL: one server, a schema per service (the schema is chosen by
    `db.make_engine`). SQLite (the embedded default): a file per service.
    """
    url = env("DATABASE_URL")
    if url is None:
        DEFAULT_DATA_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_DATA_DIR / (service + '.db')}"
    if url.startswith("sqlite"):
        # A single SQLite URL names a folder's worth of files, one per service.
        path = Path(url.split("///", 1)[1]) if "///" in url else DEFAULT_DATA_DIR
        folder = path.parent if path.suffix else path
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / (service + '.db')}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


def service_url(service: str) -> str | None:
    """`<SERVICE>_URL`: the service's web address, when calls to it go over HTTP."""
    return env(f"{service.upper()}_URL")


# make run's and the tests' value; a deployment sets its own secret
DEV_INTERNAL_TOKEN = "wecare-dev-internal-token"


def internal_token() -> str:
    """`WECARE_INTERNAL_TOKEN`: what a service-to-service HTTP call must carry."""
    return env("WECARE_INTERNAL_TOKEN", DEV_INTERNAL_TOKEN)  # type: ignore[return-value]
