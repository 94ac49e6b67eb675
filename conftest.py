"""Test harness shared by every test in the workspace.

Real PostgreSQL and RabbitMQ: from WECARE_TEST_DATABASE_URL / AMQP_URI when
set, else the local defaults, else testcontainers when a Docker engine is
reachable, else the run stops saying what to start. Each run gets a
throwaway database (every service migrated into its own schema); each test
that talks to the broker gets a throwaway vhost.
"""

from __future__ import annotations

import os
import random
import string
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import pytest
from support import Fake, SmtpSink, reachable

# Tests run in development mode: a secret they do not set is random per process rather
# than a failed start (wecare_common.config fails closed outside this mode).
os.environ.setdefault("WECARE_DEV_MODE", "1")

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "pyamqp://guest:guest@127.0.0.1:5672"
LOCAL_RABBIT_API = "http://guest:guest@127.0.0.1:15672"
WHAT_TO_START = """
{what} is not reachable, and no Docker engine is available for testcontainers.
Start it, or point the tests at one:
  PostgreSQL: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
              (or WECARE_TEST_DATABASE_URL=postgresql://user@host:5432/db)
  RabbitMQ:   rabbitmq-server -detached && rabbitmq-plugins enable rabbitmq_management
              (or AMQP_URI=pyamqp://user:pass@host:5672 and RABBIT_API_URI=http://user:pass@host:15672)
"""

_containers: list = []


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:  # noqa: BLE001 - no engine, no client, no permission: all "no"
        return False


def _postgres_server() -> str:
    url = os.environ.get("WECARE_TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return os.environ["DATABASE_URL"]
    if reachable(LOCAL_PG, 5432):
        return LOCAL_PG
    if _docker_available():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:15", driver="psycopg2").start()
        _containers.append(container)
        return container.get_connection_url()
    pytest.exit(WHAT_TO_START.format(what="PostgreSQL"), returncode=3)


def _rabbit_server() -> tuple[str, str]:
    amqp = os.environ.get("AMQP_URI")
    api = os.environ.get("RABBIT_API_URI", LOCAL_RABBIT_API)
    if amqp:
        return amqp.rstrip("/"), api
    if reachable(LOCAL_AMQP, 5672):
        return LOCAL_AMQP, api
    if _docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer

        container = RabbitMqContainer("rabbitmq:3-management").with_exposed_ports(5672, 15672)
        container.start()
        _containers.append(container)
        host = container.get_container_host_ip()
        return (f"pyamqp://guest:guest@{host}:{container.get_exposed_port(5672)}",
                f"http://guest:guest@{host}:{container.get_exposed_port(15672)}")
    pytest.exit(WHAT_TO_START.format(what="RabbitMQ"), returncode=3)


# -- The test pyramid's base: `make test-unit` runs `-m unit` ------------------------
# A test is a unit test when none of the fixtures it uses, directly or through other
# fixtures, reaches real infrastructure. Marking `integration` opts a test out by hand
# (one that starts servers or opens sockets without these fixtures).
INFRASTRUCTURE_FIXTURES = frozenset({
    "database_url", "engines", "rabbit_server", "make_vhost", "amqp_uri", "rabbit_config",
    "stack", "smtp_sink", "container_factory", "runner_factory",
})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "unit: needs no PostgreSQL, RabbitMQ, SMTP or running service (set by "
        "conftest.py from the fixtures a test uses; `make test-unit`)")
    config.addinivalue_line(
        "markers", "integration: needs infrastructure the fixtures do not show; never unit")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if not fixtures & INFRASTRUCTURE_FIXTURES and item.get_closest_marker(
                "integration") is None:
            item.add_marker(pytest.mark.unit)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for container in _containers:
        container.stop()


# -- PostgreSQL -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A throwaway database for this run, every service migrated into it."""
    from sqlalchemy import create_engine, text

    server = _postgres_server().replace("postgresql+psycopg2://", "postgresql://")
    name = "wecare_test_" + uuid.uuid4().hex[:10]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + "/" + name
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    from wecare_common.migrations import SERVICES, upgrade

    for service in SERVICES:
        upgrade(service, url)
    yield url
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous
    from kombu.pools import reset as reset_pools

    reset_pools()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def engines(database_url: str) -> Iterator[Callable]:
    """engines("wallet") → an engine bound to that service's schema."""
    from wecare_common.db import make_engine

    made: dict = {}

    def get(service: str):  # type: ignore[no-untyped-def]
        if service not in made:
            made[service] = make_engine(service, database_url)
        return made[service]

    yield get
    for engine in made.values():
        engine.dispose()


# -- RabbitMQ -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def rabbit_server() -> tuple[str, str]:
    return _rabbit_server()


@pytest.fixture(scope="session")
def make_vhost(rabbit_server: tuple[str, str]) -> Iterator[Callable[[], str]]:
    from nameko.testing.rabbit import Client

    amqp, api = rabbit_server
    client = Client(api)
    user = urlparse(amqp).username or "guest"
    made: list[str] = []

    def make() -> str:
        vhost = "wecare_test_" + "".join(random.choices(string.ascii_lowercase, k=10))
        try:
            client.create_vhost(vhost)
        except Exception as exc:  # noqa: BLE001
            pytest.exit(f"cannot create a RabbitMQ vhost through {api} ({exc}).\n"
                        "Enable the management plugin: "
                        "rabbitmq-plugins enable rabbitmq_management", returncode=3)
        client.set_vhost_permissions(vhost, user, ".*", ".*", ".*")
        made.append(vhost)
        return f"{amqp}/{vhost}"

    yield make
    from kombu.pools import reset as reset_pools

    reset_pools()
    for vhost in made:
        try:
            client.delete_vhost(vhost)
        except Exception:  # noqa: BLE001 - best effort
            pass


@pytest.fixture
def amqp_uri(make_vhost: Callable[[], str]) -> str:
    return make_vhost()


@pytest.fixture
def rabbit_config(amqp_uri: str) -> Iterator[str]:
    """nameko's config pointed at this test's vhost."""
    import nameko

    with nameko.config.patch({"AMQP_URI": amqp_uri}):
        yield amqp_uri


# -- SMTP and test identities ----------------------------------------------------------
@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    sink = SmtpSink(tmp_path_factory.mktemp("mail"))
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def fake() -> Fake:
    return Fake()
