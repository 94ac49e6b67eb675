"""Where metrics, traces and logs meet nameko, once for every process
(docs/operations.md#looking-inside):

- `Telemetry`, a dependency every service, the gateway and the web app declare
  (`telemetry = Telemetry()`): turns tracing on when configured, serves the process's
  metrics on its own address (`<NAME>_METRICS_ADDRESS`), and gives each worker the
  request id and trace context it was called with (an RPC, an event, a timer: a span of
  its own; an HTTP request: the span `HttpEntrypoint` opened).
- `HttpEntrypoint`, the base of every HTTP route (the gateway's `@api`, the web app's
  `@page`, the services' HTTP RPC and probes, `http` below): each request measured by
  route template, method and status, traced as a server span, and given a request id
  (`X-Request-Id`: the caller's when it looks like one, else a new one; sent back);
  served by the web server that stops gracefully (`wecare_common.lifecycle.WebServer`)."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

import eventlet
import eventlet.wsgi
from eventlet.event import Event
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import parse_address
from opentelemetry.trace import SpanKind, Status, StatusCode
from werkzeug.wrappers import Request, Response

from wecare_common import logs, metrics, tracing
from wecare_common.lifecycle import WebServer

log = logging.getLogger(__name__)
REQUEST_ID = "request_id"  # its key in a worker's context data (and AMQP headers)


class HttpEntrypoint(HttpRequestHandler):
    """nameko's HTTP entrypoint, measured, traced and with a request id."""

    server = WebServer()  # one per process: it drains on SIGTERM (lifecycle)

    def handle_request(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER))
        logs.REQUEST_ID.set(request_id)  # this green thread's lines (the access log's too)
        context_data: dict[str, Any] = {REQUEST_ID: request_id}
        route = self.route
        with tracing.span(f"{request.method} {route}", SpanKind.SERVER,
                          parent=tracing.extract(request.headers), attributes={
                              "http.request.method": request.method, "http.route": route,
                              "url.path": request.path}) as current:
            tracing.inject(context_data)
            if current is not None:
                logs.REQUEST_TRACE.set(tracing.ids())
            response = self.answer(request, context_data)
            if current is not None:
                current.set_attribute("http.response.status_code", response.status_code)
                if response.status_code >= 500:
                    current.set_status(Status(StatusCode.ERROR))
        response.headers[logs.REQUEST_ID_HEADER] = request_id
        metrics.child(metrics.HTTP_REQUESTS, route, request.method,
                      str(response.status_code)).inc()
        metrics.child(metrics.HTTP_DURATION, route, request.method).observe(
            time.perf_counter() - started)
        return response

    @property
    def route(self) -> str:
        """The route's template (`/api/v1/me/vouchers/<vid>`): a bounded label."""
        route = self.__dict__.get("_route")
        if route is None:
            route = self.__dict__["_route"] = self.get_url_rule().rule
        return route

    def answer(self, request: Request, context_data: dict[str, Any]) -> Response:
        """nameko's `handle_request`, the worker given `context_data`."""
        request.shallow = False
        try:
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, event))
            return self.response_from_result(event.wait())
        except Exception as exc:  # noqa: BLE001 - as nameko's: every failure an answer
            return self.response_from_exception(exc)


http = HttpEntrypoint.decorator


class Telemetry(DependencyProvider):
    """`telemetry = Telemetry()` on each service class (see the module's docstring)."""

    def __init__(self) -> None:
        self.address: str | None = None
        self.spans: dict[Any, Any] = {}
        self._server: Any = None
        self._socket: Any = None

    def setup(self) -> None:
        tracing.setup(self.container.service_name)
        self.address = metrics.metrics_address(self.container.service_name)

    def start(self) -> None:
        if self.address is None:
            return
        bind = parse_address(self.address)
        try:
            self._socket = eventlet.listen((bind.address or "0.0.0.0", bind.port))
        except OSError as exc:  # a port taken (a second stack on one machine): no metrics,
            log.error("cannot serve metrics on %s (%s)", self.address, exc)  # still money
            return
        self._server = self.container.spawn_managed_thread(partial(
            eventlet.wsgi.server, self._socket, metrics.wsgi_app(), log_output=False),
            identifier="metrics-server")

    def stop(self) -> None:
        if self._server is not None:
            self._server.kill()
            self._server = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> None:
        return None

    def worker_setup(self, worker_ctx: Any) -> None:
        data = worker_ctx.data
        logs.REQUEST_ID.set(data.get(REQUEST_ID))
        if not tracing.enabled():
            return
        parent = tracing.extract(data)
        entrypoint = worker_ctx.entrypoint
        # an HTTP request's span is HttpEntrypoint's; a trace not recorded makes none
        if isinstance(entrypoint, HttpRequestHandler) or tracing.unrecorded(parent):
            self.spans[worker_ctx] = ("attached", tracing.attach(parent))
            return
        service, method = self.container.service_name, entrypoint.method_name
        if isinstance(entrypoint, Rpc):
            name, kind = f"{service}/{method}", SpanKind.SERVER
            attributes = {"rpc.system": "nameko", "rpc.service": service, "rpc.method": method}
        elif hasattr(entrypoint, "event_types"):  # wecare_common.consumer.EventConsumer
            queue = entrypoint.queue_name
            name, kind = f"process {queue}", SpanKind.CONSUMER
            attributes = {"messaging.system": "rabbitmq", "messaging.operation.type": "process",
                          "messaging.destination.name": queue,
                          "messaging.message.id": str(data.get("message_id") or "")}
        else:
            kind = SpanKind.INTERNAL
            name = f"{service}.{method}" + (" (timer)" if isinstance(entrypoint, Timer) else "")
            attributes = {}
        self.spans[worker_ctx] = ("span", tracing.start(name, kind, parent, attributes))

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        held = self.spans.get(worker_ctx)
        if held is not None and held[0] == "span" and exc_info is not None and held[1]:
            tracing.failed(held[1][0], exc_info[1])

    def worker_teardown(self, worker_ctx: Any) -> None:
        held = self.spans.pop(worker_ctx, None)
        if held is None:
            return
        how, handle = held
        if how == "span":
            tracing.finish(handle)
        else:
            tracing.detach(handle)
