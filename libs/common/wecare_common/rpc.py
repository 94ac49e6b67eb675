"""RPC to another service with a deadline: a caller never hangs on a service
that is down or slow; it gets ServiceUnavailable instead."""

from __future__ import annotations

from typing import Any

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import ServiceRpc
from nameko.rpc import rpc as nameko_rpc

from wecare_common.errors import DomainError

DEFAULT_TIMEOUT = 10.0


class ServiceUnavailable(DomainError):
    code = "service_unavailable"


class ServiceTimeout(ServiceUnavailable):
    code = "service_timeout"


class _TimedService:
    def __init__(self, proxy: Any, service: str, timeout: float) -> None:
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def __getattr__(self, method: str) -> Any:
        target = getattr(self._proxy, method)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                reply = target.call_async(*args, **kwargs)
            except UnknownService as exc:
                raise ServiceUnavailable(f"the {self._service} service is not running") from exc
            try:
                with eventlet.Timeout(self._timeout):
                    return reply.result()
            except eventlet.Timeout as exc:
                raise ServiceTimeout(
                    f"the {self._service} service did not answer within {self._timeout:g}s"
                ) from exc

        return call


class TimedServiceRpc(ServiceRpc):
    """`ServiceRpc` whose calls raise ServiceTimeout after `timeout` seconds."""

    def __init__(self, target_service: str, timeout: float = DEFAULT_TIMEOUT,
                 **kwargs: Any) -> None:
        self.timeout = timeout
        super().__init__(target_service, **kwargs)

    def get_dependency(self, worker_ctx: Any) -> Any:
        return _TimedService(super().get_dependency(worker_ctx), self.target_service,
                             self.timeout)


def rpc(fn: Any) -> Any:
    """nameko's `@rpc`, with domain errors as expected outcomes (logged as
    warnings, sent to the caller as their own class) rather than crashes."""
    return nameko_rpc(expected_exceptions=(DomainError,))(fn)
