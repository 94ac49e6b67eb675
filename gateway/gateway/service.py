"""The HTTP API gateway: the only door into WeCare. Entrypoints are thin: the
route declares who may call it and what it accepts; the body calls services.
The routes live in rooms, one per audience (`gateway.rooms`); this class holds
the dependencies they share and composes them into one nameko service."""

from __future__ import annotations

from nameko.extensions import DependencyProvider
from sqlalchemy.orm import sessionmaker
from wecare_common.config import env
from wecare_common.db import Database, make_engine, transaction
from wecare_common.memory import SettledMemory
from wecare_common.rpc import TimedServiceRpc
from wecare_common.telemetry import Telemetry

from gateway import standing, users
from gateway.models import Base

# modules, not classes: `nameko run gateway.service` takes every class here for a service
from gateway.rooms import (
    admin,
    auth,
    employee,
    hr,
    network,
    operations,
    provider,
    public,
    webhooks,
)


class AdminBootstrap(DependencyProvider):
    """Creates the first admin from the environment when the gateway starts."""

    def start(self) -> None:
        engine = make_engine("gateway")
        standing.leaver_access_days()  # a bad WECARE_LEAVER_ACCESS_DAYS stops the start
        with transaction(sessionmaker(bind=engine)) as session:
            users.ensure_admin(session, env("WECARE_ADMIN_EMAIL"), env("WECARE_ADMIN_PASSWORD"))
        engine.dispose()


class GatewayService(operations.OperationsRoom, public.PublicRoom, auth.AuthRoom, hr.HrRoom,
                     employee.EmployeeRoom, provider.ProviderRoom, network.NetworkRoom,
                     admin.AdminRoom, webhooks.WebhooksRoom):
    name = "gateway"
    memory = SettledMemory()  # startup's objects out of the collector's walks
    telemetry = Telemetry()  # metrics served, traces, request ids (wecare_common.telemetry)

    db = Database("gateway", Base.metadata)
    admin = AdminBootstrap()
    catalog = TimedServiceRpc("catalog")
    benefits = TimedServiceRpc("benefits", timeout=60)
    wallet = TimedServiceRpc("wallet", timeout=30)
    notifications = TimedServiceRpc("notifications")
