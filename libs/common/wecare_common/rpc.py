"""RPC to another service with a deadline: a caller never hangs on a service
that is down or slow; it gets ServiceUnavailable instead.

Two transports carry the same calls. nameko's RPC over RabbitMQ is the
default. When `<SERVICE>_URL` names a service's web address, calls to it go
over HTTP instead (`POST <url>/rpc/<method>`): on this stack a nameko AMQP
round trip costs ~10 ms of CPU across broker, caller and callee (publisher
confirms, a reply-queue declare per call, the reply's own confirm) against
~1.2 ms for HTTP, so hot paths (the gateway buying a voucher) take HTTP.
Every `@rpc` method answers on both; replies and domain errors are the same
(nameko's serialization, the registered DomainError classes). The HTTP side is
for the cluster only: a call must carry the shared `WECARE_INTERNAL_TOKEN`."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

import eventlet
import urllib3
from kombu.utils.json import dumps, loads
from nameko.exceptions import RemoteError, UnknownService, deserialize, serialize
from nameko.rpc import ServiceRpc
from nameko.rpc import rpc as nameko_rpc
from opentelemetry.trace import SpanKind
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from wecare_common import config, logs, metrics, tracing
from wecare_common.errors import DomainError, ServiceTimeout, ServiceUnavailable
from wecare_common.telemetry import HttpEntrypoint

DEFAULT_TIMEOUT = 10.0


def measured(target: str, method: str, transport: str, call: Callable[[], Any]) -> Any:
    """One call to another service, counted and timed by outcome
    (`wecare_rpc_client_*`) and traced as a client span."""
    started = time.perf_counter()
    outcome = "error"
    try:
        with tracing.span(f"{target}/{method}", SpanKind.CLIENT, attributes={
                "rpc.system": "nameko", "rpc.service": target, "rpc.method": method,
                "network.transport": transport}):
            result = call()
        outcome = "ok"
        return result
    except ServiceTimeout:
        outcome = "timeout"
        raise
    except ServiceUnavailable:
        outcome = "unavailable"
        raise
    except DomainError:
        outcome = "refused"
        raise
    except RemoteError:
        outcome = "error"
        raise
    finally:
        metrics.child(metrics.RPC_CALLS, target, method, transport, outcome).inc()
        metrics.child(metrics.RPC_DURATION, target, method, transport).observe(
            time.perf_counter() - started)


class _TimedService:
    def __init__(self, proxy: Any, service: str, timeout: float) -> None:
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def __getattr__(self, method: str) -> Any:
        target = getattr(self._proxy, method)

        def once(*args: Any, **kwargs: Any) -> Any:
            if tracing.enabled():  # nameko sends the worker's context data as headers
                tracing.inject(target.context_data)
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

        def call(*args: Any, **kwargs: Any) -> Any:
            return measured(self._service, method, "amqp", lambda: once(*args, **kwargs))

        return call


def http_pool() -> urllib3.PoolManager:
    """Kept-alive connections to the cluster's services (one per concurrent worker),
    no retry (a POST is the callee's to retry by its key) and no proxy. urllib3 and
    not requests: the call path through requests (its hooks, settings merged per
    call, protocol checks of the body) was a tenth of the gateway's CPU on the
    voucher path."""
    return urllib3.PoolManager(num_pools=8, maxsize=64, retries=False)


class _HttpService:
    """Calls to one service over HTTP, with the same outcomes as `_TimedService`."""

    def __init__(self, http: urllib3.PoolManager, url: str, service: str, timeout: float,
                 token: str) -> None:
        self._http = http
        self._url = url.rstrip("/")
        self._service = service
        self._timeout = timeout
        self._deadline = urllib3.Timeout(total=timeout)
        self._headers = {"Content-Type": "application/json", TOKEN_HEADER: token}

    def __getattr__(self, method: str) -> Any:
        def once(*args: Any, **kwargs: Any) -> Any:
            headers = self._headers
            request_id = logs.REQUEST_ID.get()
            if request_id is not None or tracing.enabled():
                headers = tracing.inject({**headers})
                if request_id is not None:
                    headers[logs.REQUEST_ID_HEADER] = request_id
            try:
                response = self._http.request(
                    "POST", f"{self._url}/rpc/{method}",
                    body=dumps({"args": args, "kwargs": kwargs}), headers=headers,
                    timeout=self._deadline, retries=False)
            # (urllib3 counts a refused connection as a connect timeout: asked first)
            except NewConnectionError as exc:
                raise ServiceUnavailable(f"the {self._service} service is not running") from exc
            except (Urllib3Timeout, TimeoutError) as exc:
                raise ServiceTimeout(f"the {self._service} service did not answer within "
                                     f"{self._timeout:g}s") from exc
            except (HTTPError, OSError) as exc:  # reset, closed mid-answer, unreachable
                raise ServiceUnavailable(f"the {self._service} service is not running") from exc
            if response.status not in (200, 500) or not response.data:
                raise ServiceUnavailable(f"the {self._service} service answered "
                                         f"{response.status} to {method}")
            reply = loads(response.data)
            if reply.get("error") is not None:
                raise deserialize(reply["error"])
            return reply["result"]

        def call(*args: Any, **kwargs: Any) -> Any:
            return measured(self._service, method, "http", lambda: once(*args, **kwargs))

        return call


class TimedServiceRpc(ServiceRpc):
    """`ServiceRpc` whose calls raise ServiceTimeout after `timeout` seconds; over
    HTTP when `<SERVICE>_URL` is set (see the module's docstring)."""

    def __init__(self, target_service: str, timeout: float = DEFAULT_TIMEOUT,
                 **kwargs: Any) -> None:
        self.timeout = timeout
        super().__init__(target_service, **kwargs)

    def setup(self) -> None:
        self.url = config.service_url(self.target_service)
        if self.url is None:
            super().setup()
            return
        self.http = http_pool()

    def stop(self) -> None:
        if self.url is None:
            super().stop()
        else:
            self.http.clear()

    def get_dependency(self, worker_ctx: Any) -> Any:
        if self.url is not None:
            return _HttpService(self.http, self.url, self.target_service, self.timeout,
                                config.internal_token())
        return _TimedService(super().get_dependency(worker_ctx), self.target_service,
                             self.timeout)


TOKEN_HEADER = "X-WeCare-Internal-Token"


class HttpRpc(HttpEntrypoint):
    """`POST /rpc/<method>` with a JSON body `{"args": [...], "kwargs": {...}}`:
    the same call as the method's AMQP RPC entrypoint. Answers
    `{"result": ...}`, or `{"error": ...}` in nameko's serialized form (200 for
    an expected domain error, 500 for a crash)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("expected_exceptions", (DomainError,))
        super().__init__("POST", "", **kwargs)

    def get_url_rule(self) -> Rule:
        return Rule(f"/rpc/{self.method_name}", methods=["POST"])

    def get_entrypoint_parameters(self, request: Request) -> tuple[tuple, dict]:
        token = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(token.encode(), config.internal_token().encode()):
            raise _NotInternal()
        body = loads(request.get_data()) if request.content_length else {}
        return tuple(body.get("args") or ()), dict(body.get("kwargs") or {})

    def response_from_result(self, result: Any) -> Response:
        return Response(dumps({"result": result}), mimetype="application/json")

    def response_from_exception(self, exc: BaseException) -> Response:
        if isinstance(exc, _NotInternal):
            return Response(status=403)
        status = 200 if isinstance(exc, self.expected_exceptions) else 500
        return Response(dumps({"error": serialize(exc)}), status=status,
                        mimetype="application/json")


class _NotInternal(Exception):
    """A call without the cluster's token."""


http_rpc = HttpRpc.decorator


def rpc(fn: Any) -> Any:
    """nameko's `@rpc`, with domain errors as expected outcomes (logged as
    warnings, sent to the caller as their own class) rather than crashes; the
    method also answers over HTTP (`HttpRpc`)."""
    return http_rpc(nameko_rpc(expected_exceptions=(DomainError,))(fn))
