"""metrics.render: a scrape written a slice at a time, the event loop let go between
slices, byte for byte what prometheus_client writes at once."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from wecare_common import metrics


def registry_with_many_series() -> CollectorRegistry:
    registry = CollectorRegistry()
    duration = Histogram("x_duration_seconds", "A histogram of many series", ["route"],
                         buckets=metrics.LATENCY, registry=registry)
    requests = Counter("x_requests_total", "A counter", ["route", "status"], registry=registry)
    Gauge("x_level", "A lone gauge", registry=registry).set(3)
    for n in range(40):
        duration.labels(f"/r/{n}").observe(n / 100)
        requests.labels(f"/r/{n}", "200").inc(n)
    return registry


def test_render_writes_what_generate_latest_writes_pausing_between_slices() -> None:
    registry = registry_with_many_series()
    pauses: list[int] = []
    text = metrics.render(registry, pause=lambda: pauses.append(1))
    assert text == generate_latest(registry)
    # 40 series of 20 samples (17 buckets, +Inf, count, sum) and 40 counters: in slices
    assert len(pauses) >= (40 * 20 + 40) // metrics.SLICE
    families = {f.name: f for f in text_string_to_metric_families(text.decode())}
    assert text.count(b"# TYPE x_duration_seconds histogram") == 1
    assert len(families["x_duration_seconds"].samples) == 40 * 20


def test_the_metrics_answer_serves_render() -> None:
    answered: list[tuple[str, list[tuple[str, str]]]] = []
    body = b"".join(metrics.wsgi_app()(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/metrics"},
        lambda status, headers: answered.append((status, headers))))
    status, headers = answered[0]
    assert status == "200 OK"
    assert dict(headers)["Content-Type"].startswith("text/plain; version=0.0.4")
    assert b"# TYPE wecare_http_server_requests_total counter" in body
