"""wecare_common.tracing's cheap path (issue 22.6): a trace that is not recorded makes no
span past its root, in any process it reaches, yet its context travels on as it came (the
same trace id, `traceparent` flags 00) so every process keeps the root's decision; a
recorded trace is traced as before, its SQL statements included. And metrics.child: one
labelled series, looked up once. (The whole system's trace: tests/e2e/test_traces.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    ParentBased,
    TraceIdRatioBased,
)
from opentelemetry.trace import SpanKind
from sqlalchemy import create_engine, text
from wecare_common import metrics, tracing


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    yield memory
    tracing.disable()


def sampled(headers: dict) -> bool:
    """The `traceparent`'s sampled flag (its last field's lowest bit)."""
    return bool(int(headers[tracing.TRACEPARENT].rsplit("-", 1)[1], 16) & 1)


def a_purchase(engine: object) -> dict:
    """One process's share of a purchase: the request's span, an RPC client span whose
    headers a callee extracts, the callee's span from them and its SQL statements."""
    with tracing.span("POST /api/v1/me/vouchers", SpanKind.SERVER,
                      parent=tracing.extract({})):
        with tracing.span("wallet/purchase_voucher", SpanKind.CLIENT):
            sent = tracing.inject({})
        handle = tracing.start("POST /rpc/purchase_voucher", SpanKind.SERVER,
                               tracing.extract(sent))
        with engine.connect() as conn:  # type: ignore[attr-defined]
            conn.execute(text("SELECT 1"))
            conn.execute(text("SELECT 2"))
        published = tracing.inject({})
        tracing.finish(handle)
    return {"sent": sent, "published": published}


def test_a_trace_not_recorded_makes_no_span_past_its_root_and_travels_on(
        exported: InMemorySpanExporter) -> None:
    engine = create_engine("sqlite://")
    tracing.instrument_engine(engine, "wallet")
    tracing.enable("wallet", SimpleSpanProcessor(exported), ParentBased(TraceIdRatioBased(0)))
    assert tracing.follows_parent(ParentBased(TraceIdRatioBased(0.1)))
    carried = a_purchase(engine)
    assert exported.get_finished_spans() == ()
    # the root's decision and trace id go on unchanged to every callee and consumer
    assert not sampled(carried["sent"]) and not sampled(carried["published"])
    trace_id = carried["sent"][tracing.TRACEPARENT].split("-")[1]
    assert carried["published"][tracing.TRACEPARENT].split("-")[1] == trace_id
    # a callee in another process, handed that context: still nothing, still that trace
    with tracing.span("POST /rpc/x", SpanKind.SERVER,
                      parent=tracing.extract(carried["sent"])) as current:
        assert current is not None and not current.is_recording()
        assert tracing.ids()[0] == trace_id  # its log lines name the trace
    assert exported.get_finished_spans() == ()
    assert tracing.current() is not None and not tracing.unrecorded()  # left as it was


def test_a_recorded_trace_keeps_every_span(exported: InMemorySpanExporter) -> None:
    engine = create_engine("sqlite://")
    tracing.instrument_engine(engine, "wallet")
    tracing.enable("wallet", SimpleSpanProcessor(exported), ParentBased(ALWAYS_ON))
    carried = a_purchase(engine)
    spans = exported.get_finished_spans()
    assert sorted(s.name for s in spans) == [
        "POST /api/v1/me/vouchers", "POST /rpc/purchase_voucher", "SELECT wallet",
        "SELECT wallet", "wallet/purchase_voucher"]
    assert len({s.context.trace_id for s in spans}) == 1
    assert sampled(carried["sent"]) and sampled(carried["published"])


def test_a_sampler_that_ignores_the_parent_still_decides_each_span(
        exported: InMemorySpanExporter) -> None:
    tracing.enable("wallet", SimpleSpanProcessor(exported), ALWAYS_ON)
    assert not tracing.follows_parent(ALWAYS_ON)
    unsampled = tracing.extract({tracing.TRACEPARENT: "00-" + "1" * 32 + "-" + "2" * 16 + "-00"})
    with tracing.span("POST /rpc/x", SpanKind.SERVER, parent=unsampled):
        pass
    assert [s.name for s in exported.get_finished_spans()] == ["POST /rpc/x"]


def test_wecare_draws_a_root_itself_and_the_sdk_records_only_the_drawn(
        exported: InMemorySpanExporter) -> None:
    engine = create_engine("sqlite://")
    tracing.instrument_engine(engine, "wallet")
    tracing.enable("wallet", SimpleSpanProcessor(exported), root_ratio=0)
    assert tracing.follows_parent(tracing._provider.sampler)
    first, second = a_purchase(engine), a_purchase(engine)
    assert exported.get_finished_spans() == ()  # none recorded, none made
    ids = [c["sent"][tracing.TRACEPARENT].split("-") for c in (first, second)]
    assert not sampled(first["sent"]) and not sampled(second["published"])
    assert ids[0][1] != ids[1][1] and int(ids[0][1], 16) and int(ids[0][2], 16)
    assert first["published"][tracing.TRACEPARENT].split("-")[1] == ids[0][1]
    handle = tracing.start("wallet.expire (timer)")  # a timer's root: drawn alike
    assert handle is not None and handle[0] is None and not tracing.traceparent().endswith("1")
    tracing.finish(handle)
    assert tracing.traceparent() is None
    tracing.disable()

    memory = InMemorySpanExporter()  # (a provider shut down shuts its exporter)
    tracing.enable("wallet", SimpleSpanProcessor(memory), root_ratio=1)
    recorded = a_purchase(engine)
    assert sampled(recorded["sent"]) and len(memory.get_finished_spans()) == 5
    tracing.disable()

    memory = InMemorySpanExporter()
    tracing.enable("wallet", SimpleSpanProcessor(memory), root_ratio=0.5)
    for _ in range(2000):
        with tracing.span("GET /health", SpanKind.SERVER):
            pass
    assert 800 < len(memory.get_finished_spans()) < 1200  # about half (σ = 22)


def test_a_context_this_process_hands_itself_is_not_parsed_again(
        exported: InMemorySpanExporter) -> None:
    from opentelemetry import context

    tracing.enable("wallet", SimpleSpanProcessor(exported), root_ratio=0)
    with tracing.span("POST /api/v1/me/vouchers", SpanKind.SERVER):
        handed = tracing.inject({})
        assert tracing.extract(handed) is context.get_current()
    with tracing.span("POST /rpc/x", SpanKind.SERVER, parent=tracing.extract(handed)):
        assert tracing.inject({}) == handed  # not recorded: the context as it came


def test_a_labelled_series_is_looked_up_once() -> None:
    first = metrics.child(metrics.RPC_CALLS, "wallet", "x_test", "http", "ok")
    assert metrics.child(metrics.RPC_CALLS, "wallet", "x_test", "http", "ok") is first
    assert first is metrics.RPC_CALLS.labels("wallet", "x_test", "http", "ok")
    before = first._value.get()
    metrics.child(metrics.RPC_CALLS, "wallet", "x_test", "http", "ok").inc()
    assert first._value.get() == before + 1


def test_traceparent_is_written_as_the_sdk_writes_it_and_read_from_request_headers(
        exported: InMemorySpanExporter) -> None:
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    tracing.enable("wallet", SimpleSpanProcessor(exported), ParentBased(ALWAYS_ON))
    incoming = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    headers = Request(EnvironBuilder(headers={"traceparent": incoming}).get_environ()).headers
    parent = tracing.extract(headers)
    assert tracing.extract({tracing.TRACEPARENT: incoming}) is parent  # parsed once
    for flags in ("01", "00"):  # a recorded span; then a parent not sampled, as it came
        given = incoming[:-2] + flags
        with tracing.span("POST /rpc/x", SpanKind.SERVER,
                          parent=tracing.extract({tracing.TRACEPARENT: given})):
            by_sdk: dict[str, str] = {}
            TraceContextTextMapPropagator().inject(by_sdk)
            assert tracing.inject({}) == by_sdk
            assert tracing.traceparent() == by_sdk[tracing.TRACEPARENT]
            assert by_sdk[tracing.TRACEPARENT].split("-")[1] == "a" * 32
    assert tracing.extract({}) is None and tracing.extract(None) is None
    assert tracing.traceparent() is None  # no span current


def test_spans_leave_in_small_batches_unless_the_operator_says(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", raising=False)
    monkeypatch.delenv("OTEL_BSP_SCHEDULE_DELAY", raising=False)
    assert tracing.batching() == (64, 1000)
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "5000")
    assert tracing.batching() == (None, None)  # the SDK reads them itself


def test_the_shipped_sampling_is_wecares_draw_unless_the_operator_names_a_sampler(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")  # nothing sent
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    tracing.setup("wallet")
    try:  # one trace in ten, drawn at the root; every span under it follows
        assert tracing._root_bound == TraceIdRatioBased.get_bound_for_rate(tracing.DEFAULT_RATIO)
        assert tracing.follows_parent(tracing._provider.sampler)
    finally:
        tracing.disable()
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.25")
    tracing.setup("wallet")
    try:  # the SDK's sampler, as the operator named it
        assert tracing._root_bound is None
        assert "TraceIdRatioBased{0.25}" in tracing._provider.sampler.get_description()
    finally:
        tracing.disable()


def test_a_batch_is_encoded_a_slice_at_a_time_and_sent_as_one_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The exporter `setup` uses: the SDK's over OTLP/HTTP, its batch encoded EXPORT_SLICE
    spans at a time (the event loop let go between), one request holding them all."""
    from opentelemetry.sdk.trace.export import SpanExportResult
    from support.otlp_standin import Collector, decode

    collector = Collector()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    exporter = tracing.sliced_exporter()
    kept = InMemorySpanExporter()
    tracing.enable("wallet", SimpleSpanProcessor(kept))
    try:
        for n in range(20):
            with tracing.span(f"work {n}", attributes={"n": n}):
                pass
        spans = kept.get_finished_spans()
        pauses: list[int] = []
        body = tracing.encoded(spans, pause=lambda: pauses.append(1))
        assert len(pauses) == 2  # 20 spans: slices of 8, 8 and 4
        assert [s["name"] for s in decode(body)] == [f"work {n}" for n in range(20)]
        assert exporter.export(spans) is SpanExportResult.SUCCESS
        assert collector.exports == 1
        received = collector.spans()
        assert [s["name"] for s in received] == [f"work {n}" for n in range(20)]
        assert {s["service"] for s in received} == {"wallet"}
        assert received[3]["attributes"] == {"n": 3}
    finally:
        tracing.disable()
        exporter.shutdown()
        collector.stop()
