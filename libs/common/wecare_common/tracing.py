"""Traces with OpenTelemetry (docs/operations.md#traces): one trace from a request at
the gateway through the web app, the API call, the RPC to a service, its database, the
event it records and every consumer that handles it. W3C Trace Context (`traceparent`)
travels in HTTP headers, in AMQP message headers, and with the event in the outbox
(its `headers` column) until the relay publishes it.

On when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (spans exported over OTLP/HTTP, batched,
by a background thread); off otherwise, and then every hook here returns at its first
line (`enabled()`): no span, no context, no header. Tests turn it on with an exporter of
their own (`enable`). Sampling: `OTEL_TRACES_SAMPLER` (and `_ARG`) as the SDK reads them;
unset, WeCare records one trace in ten (`DEFAULT_RATIO`, decided where the trace starts
and kept by every process it crosses): recording every one is what tracing costs most
(make bench-telemetry measures both). A SQL statement is traced only inside a recorded trace
(the relay's polls and the timers' idle reads make none).

A trace not recorded costs next to nothing past where it starts: with a sampler that keeps
its parent's decision (every `parentbased_*` one, WeCare's default), a span whose parent is
not sampled would be dropped by the SDK anyway, so none is made: the parent's context stays
current and travels on as it came (`traceparent` not sampled), and each process it reaches
decides as cheaply. Only the root (the gateway's request, a timer) decides; with WeCare's
default sampler it draws the decision itself (`_root`): a trace not recorded gets its ids
and no SDK span at all, a recorded one is made by the SDK (its root sampler then keeps
every root it is handed). A context this process hands itself (a request's to its worker,
an event's to the relay) is kept with its `traceparent` (`inject`), not parsed again.

Span names and attributes follow OpenTelemetry's semantic conventions for HTTP
(`http.route`), RPC, database (`db.system.name`) and messaging
(`messaging.destination.name`) spans."""

from __future__ import annotations

import contextvars
import logging
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import (
    INVALID_SPAN_CONTEXT,
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    Tracer,
)
from opentelemetry.trace.propagation import _SPAN_KEY
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)
PROPAGATOR = TraceContextTextMapPropagator()
DEFAULT_RATIO = 0.1
TRACEPARENT = "traceparent"

_tracer: Tracer | None = None  # None: tracing is off
_provider: Any = None
_follows_parent = False  # the sampler drops every child of a parent not sampled
_root_bound: int | None = None  # WeCare draws a root's decision: recorded below this bound
_ID_LIMIT = (1 << 64) - 1  # the trace id's low 64 bits decide, as TraceIdRatioBased's
_NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)
_random = random.Random()


def enabled() -> bool:
    return _tracer is not None


def setup(service: str) -> None:
    """Turn tracing on for this process when OTEL_EXPORTER_OTLP_ENDPOINT is set (once)."""
    if _tracer is not None or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    size, delay = batching()
    processor = BatchSpanProcessor(sliced_exporter(), max_export_batch_size=size,
                                   schedule_delay_millis=delay)
    if os.environ.get("OTEL_TRACES_SAMPLER"):
        enable(service, processor)
    else:
        enable(service, processor, root_ratio=DEFAULT_RATIO)


# Spans leave in small batches, often: encoding one is the process's own work (about 25 µs
# a span), and under eventlet it holds every request the process is serving. The SDK's
# 512 every 5 s held them ~10 ms at a time; 64 every second, under 2 ms. OTEL_BSP_* win.
BATCH_SIZE = 64
BATCH_DELAY_MS = 1000


def batching() -> tuple[int | None, int | None]:
    """The BatchSpanProcessor's batch size and delay in ms; None where OTEL_BSP_* set it
    (the SDK reads it then)."""
    return (None if os.environ.get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") else BATCH_SIZE,
            None if os.environ.get("OTEL_BSP_SCHEDULE_DELAY") else BATCH_DELAY_MS)


# A batch is encoded a few spans at a time, the event loop let go between (`encoded`): 64
# spans took 1.7 ms in one go, holding every request the process was serving.
EXPORT_SLICE = 8


def encoded(spans: Sequence[Any], pause: Callable[[], None] = lambda: time.sleep(0)) -> bytes:
    """`spans` as one OTLP export request (protobuf), encoded EXPORT_SLICE at a time,
    `pause()` between (under eventlet `time.sleep(0)` lets other green threads run). The
    slices' requests are concatenated: in protobuf that is one request holding all their
    `resource_spans`."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    parts = []
    for start in range(0, len(spans), EXPORT_SLICE):
        if start:
            pause()
        parts.append(encode_spans(spans[start:start + EXPORT_SLICE]).SerializePartialToString())
    return b"".join(parts)


def sliced_exporter() -> Any:
    """The SDK's OTLP/HTTP exporter (its endpoint, headers, timeout, compression and
    retries from OTEL_EXPORTER_OTLP_*), a batch encoded by `encoded`."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    class SlicedExporter(OTLPSpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            if self._shutdown:
                return SpanExportResult.FAILURE
            try:
                body = encoded(spans)
            except Exception:  # noqa: BLE001 - as the SDK's: a batch lost, the process not
                log.exception("cannot encode %d spans", len(spans))
                return SpanExportResult.FAILURE
            sent = self._client.export(body)  # the SDK's own sending (retries, backoff)
            return SpanExportResult.SUCCESS if sent.success else SpanExportResult.FAILURE

    return SlicedExporter()


def enable(service: str, processor: Any, sampler: Any = None,
           root_ratio: float | None = None) -> None:
    """Trace this process, each span handed to `processor` (tests: a SimpleSpanProcessor
    over an in-memory exporter); `sampler`: the SDK's own choice (OTEL_TRACES_SAMPLER,
    every trace when unset) unless given. `root_ratio`: instead of a sampler, the share
    of traces recorded, decided where each starts (`_root`) and followed by every span
    under it (the SDK's ParentBased(TraceIdRatioBased(ratio)), without its cost)."""
    global _tracer, _provider, _follows_parent, _root_bound
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    bound = None
    if root_ratio is not None:
        from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, TraceIdRatioBased

        sampler = ParentBased(ALWAYS_ON)  # a root reaches the SDK only when it is recorded
        bound = TraceIdRatioBased.get_bound_for_rate(root_ratio)
    _provider = TracerProvider(resource=Resource.create({"service.name": service}),
                               sampler=sampler)
    _provider.add_span_processor(processor)
    _follows_parent = follows_parent(_provider.sampler)
    _root_bound = bound
    _tracer = _provider.get_tracer("wecare")


def follows_parent(sampler: Any) -> bool:
    """Whether `sampler` drops every span whose parent (local or remote) is not sampled:
    the SDK's ParentBased as the `parentbased_*` samplers make it."""
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

    return isinstance(sampler, ParentBased) and all(
        getattr(sampler, name, None) is ALWAYS_OFF
        for name in ("_remote_parent_not_sampled", "_local_parent_not_sampled"))


def disable() -> None:
    global _tracer, _provider, _follows_parent, _root_bound
    if _provider is not None:
        _provider.shutdown()
    _tracer = _provider = _root_bound = None
    _follows_parent = False
    _parsed.clear()


def _span_context(parent: Any = None) -> SpanContext:
    """The span context of `parent`'s span (a context; None: the current one): the SDK's
    `get_current_span(parent).get_span_context()` without its checks, asked a dozen times
    a request."""
    span: Any = (otel_context.get_current() if parent is None else parent).get(_SPAN_KEY)
    return INVALID_SPAN_CONTEXT if span is None else span.get_span_context()


def _dropped(context: SpanContext) -> bool:
    """Whether a span under `context` would not be recorded, known without the SDK: it is
    a trace that is not sampled and the sampler follows the parent."""
    return _follows_parent and context.is_valid and not context.trace_flags.sampled


def unrecorded(parent: Any = None) -> bool:
    """Whether a span under `parent` (a context; None: the current one) would not be
    recorded (`_dropped`). Then no span is made (see the module's docstring)."""
    return _follows_parent and _dropped(_span_context(parent))


def _skipped(parent: Any) -> tuple[bool, Any]:
    """Whether a span under `parent` (a context; None: the current one) is not to be
    made, and then the context to make current instead: the parent's, when its trace is
    not recorded (`unrecorded`); for a root, where WeCare draws (`enable`'s root_ratio)
    and the draw says not recorded (`_root`), one holding new ids and no span worth the
    name (a NonRecordingSpan, flags 00). (False, None): the SDK makes the span."""
    context = _span_context(parent)
    if context.is_valid:
        return _dropped(context), parent
    return _root(parent)


def _root(parent: Any) -> tuple[bool, Any]:
    """A root's draw (`_skipped`): recorded one time in 1 / ratio, as TraceIdRatioBased
    decides from the trace id's low 64 bits."""
    if _root_bound is None:
        return False, None
    trace_id = _random.getrandbits(128) or 1
    if trace_id & _ID_LIMIT < _root_bound:
        return False, None
    ids = SpanContext(trace_id, _random.getrandbits(64) or 1, is_remote=False,
                      trace_flags=_NOT_SAMPLED)
    return True, trace.set_span_in_context(NonRecordingSpan(ids), parent)


# -- spans ------------------------------------------------------------------------------
@contextmanager
def span(name: str, kind: SpanKind = SpanKind.INTERNAL, parent: Any = None,
         attributes: Mapping[str, Any] | None = None,
         links: list[Any] | None = None) -> Iterator[Span | None]:
    """A span, current inside the block; None (and nothing done) when tracing is off.
    `parent`: a context (from `extract`, `current`) instead of the current one; `links`:
    other contexts the work also belongs to (a batch of several requests' events)."""
    if _tracer is None:
        yield None
        return
    skipped, instead = _skipped(parent)
    if skipped:  # a root's ids, or the parent's context as it came
        token = otel_context.attach(instead) if instead is not None else None
        try:
            yield trace.get_current_span()  # not recording: its ids for the logs
        finally:
            detach(token)
        return
    linked = [trace.Link(trace.get_current_span(c).get_span_context())
              for c in links or () if c is not None]
    with _tracer.start_as_current_span(name, context=parent, kind=kind,
                                       attributes=attributes, links=linked) as current:
        yield current


def current() -> Any:
    """This green thread's context (to hand work to another thread), or None when off."""
    return otel_context.get_current() if _tracer is not None else None


def start(name: str, kind: SpanKind = SpanKind.INTERNAL, parent: Any = None,
          attributes: Mapping[str, Any] | None = None
          ) -> tuple[Span | None, object | None] | None:
    """A span made current until `finish(handle)` (for hooks that open and close in two
    calls: a nameko worker's setup and teardown); None when tracing is off. Under a
    parent not sampled: no span, the parent's context current until `finish`."""
    if _tracer is None:
        return None
    skipped, instead = _skipped(parent)
    if skipped:
        return None, attach(instead)
    current = _tracer.start_span(name, context=parent, kind=kind, attributes=attributes)
    token = otel_context.attach(trace.set_span_in_context(current, parent))
    return current, token


def finish(handle: tuple[Span | None, object | None] | None,
           error: BaseException | None = None) -> None:
    if handle is None:
        return
    current, token = handle
    if current is not None:
        if error is not None:
            failed(current, error)
        current.end()
    detach(token)


def failed(current: Span | None, error: BaseException) -> None:
    if current is not None:
        current.set_status(Status(StatusCode.ERROR, type(error).__name__))
        current.record_exception(error)


def attach(parent: Any) -> object | None:
    """Make `parent` (from `extract`) the current context; the token for `detach`."""
    if _tracer is None or parent is None:
        return None
    return otel_context.attach(parent)


def detach(token: object | None) -> None:
    if token is not None:
        try:
            otel_context.detach(token)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - a context already left (another green thread)
            pass


# -- carrying the context over the wire ------------------------------------------------------
_PARSED_KEEP = 1024
_parsed: dict[str, Any] = {}  # traceparent → the context it names (parsed, or this
# process's own where `inject` wrote it), recent ones; contexts are immutable


def extract(carrier: Any) -> Any:
    """The context a `traceparent` in `carrier` (headers, a worker's context data)
    names; None when tracing is off or there is none. One hop reads the same
    `traceparent` more than once (its request's headers, then its worker's context
    data): a recent one's context is kept, not parsed again. (`carrier` is not asked its
    length: a WSGI request's headers count theirs by walking the whole environ.)"""
    if _tracer is None or carrier is None:
        return None
    value = carrier.get(TRACEPARENT)
    if not value:
        return None
    value = str(value)
    context = _parsed.get(value)
    if context is None:
        context = PROPAGATOR.extract({TRACEPARENT: value})
        _keep(value, context)
    return context


def inject(carrier: dict[str, Any]) -> dict[str, Any]:
    """Add the current span's `traceparent` to `carrier` (when tracing is on). Its
    context is kept with it: where this process reads it back (its worker's context
    data, the relay's event), `extract` finds it, not parsed again."""
    if _tracer is not None:
        current = otel_context.get_current()
        value = traceparent(current)
        if value is not None:
            carrier[TRACEPARENT] = value
            if value not in _parsed:
                _keep(value, current)
    return carrier


def _keep(value: str, context: Any) -> None:
    if len(_parsed) >= _PARSED_KEEP:
        _parsed.clear()
    _parsed[value] = context


def traceparent(parent: Any = None) -> str | None:
    """The `traceparent` of the current span (or `parent`'s: a context) (W3C Trace
    Context, version 00), or None. Written here rather than by the SDK's propagator,
    which also writes `tracestate`: WeCare carries none (`extract` reads only
    `traceparent`)."""
    if _tracer is None:
        return None
    context = _span_context(parent)
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def ids() -> tuple[str | None, str | None]:
    """(trace id, span id) of the current span in hex, or (None, None)."""
    if _tracer is None:
        return None, None
    context = _span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def carried(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` to run in another green thread with this one's context (the current span,
    the request id): a new green thread starts with an empty one."""
    base = contextvars.copy_context()

    def run(*args: Any, **kwargs: Any) -> Any:
        return base.copy().run(fn, *args, **kwargs)

    return run


# -- the database -------------------------------------------------------------------------------
def instrument_engine(engine: Any, service: str) -> None:
    """A client span per statement an engine runs (`db.system.name`, `db.namespace`: the
    service's schema, the statement's first words), when tracing is on and the statement
    runs inside a trace that is recorded."""
    from sqlalchemy import event

    system = "postgresql" if engine.dialect.name == "postgresql" else engine.dialect.name

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        if _tracer is None or context is None:
            return
        inside = _span_context()
        if not inside.is_valid:
            return  # outside any trace (a relay's poll, a timer's idle read)
        if _dropped(inside):
            return  # a trace not recorded (nine in ten): the span would be dropped
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        context._wecare_span = _tracer.start_span(
            f"{operation} {service}", kind=SpanKind.CLIENT, attributes={
                "db.system.name": system, "db.namespace": service,
                "db.operation.name": operation, "db.query.text": statement[:1000]})

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        current = getattr(context, "_wecare_span", None)
        if current is not None:
            current.end()
            context._wecare_span = None

    @event.listens_for(engine, "handle_error")
    def _error(exception_context: Any) -> None:
        context = exception_context.execution_context
        current = getattr(context, "_wecare_span", None)
        if current is not None:
            failed(current, exception_context.original_exception)
            current.end()
            context._wecare_span = None
