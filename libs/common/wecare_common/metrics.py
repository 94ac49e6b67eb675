"""Metrics in Prometheus' text format (docs/operations.md#metrics), with the official
client (`prometheus_client`). Every metric WeCare exports is declared here, once:
names by Prometheus' conventions (`wecare_<what>_<unit>`, `_total` for counters,
seconds), labels bounded (route templates, event types, queue names, outcomes; never
an id, an email or a raw path).

Each process serves them on an address of its own (`<NAME>_METRICS_ADDRESS`, e.g.
`WALLET_METRICS_ADDRESS=0.0.0.0:9090`; `serve`), never on the port the public gateway
forwards to: the web app's port takes every page path, and the services' ports answer
RPC. Counting happens whether or not anything scrapes (a counter costs ~1 µs)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import (
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
disable_created_metrics()  # no `_created` series: half the output, read by nobody here

# Latency buckets (seconds), finer where WeCare's answers are (a purchase: ~10 ms)
LATENCY = (0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5,
           1.0, 2.5, 5.0, 10.0, 30.0)

# -- HTTP served (the gateway, the web app, each service's web server) ---------------
HTTP_REQUESTS = Counter(
    "wecare_http_server_requests_total",
    "HTTP requests answered, by route template, method and status code",
    ["route", "method", "status"])
HTTP_DURATION = Histogram(
    "wecare_http_server_request_duration_seconds",
    "Time from a request's arrival to its answer, by route template and method",
    ["route", "method"], buckets=LATENCY)

# -- RPC made (wecare_common.rpc: over HTTP or nameko's AMQP RPC) ----------------------
RPC_CALLS = Counter(
    "wecare_rpc_client_calls_total",
    "Calls to another service, by target, method, transport and outcome (ok; refused: a "
    "domain error the callee answered; unavailable; timeout; error: the callee crashed)",
    ["target", "method", "transport", "outcome"])
RPC_DURATION = Histogram(
    "wecare_rpc_client_call_duration_seconds",
    "Time a call to another service took, by target, method and transport",
    ["target", "method", "transport"], buckets=LATENCY)

# -- events (outbox → wecare.events → consumers) ------------------------------------
EVENTS_PUBLISHED = Counter(
    "wecare_events_published_total",
    "Events the outbox relay published (confirmed by the broker), by event type",
    ["event_type"])
EVENTS_CONSUMED = Counter(
    "wecare_events_consumed_total",
    "Events a consumer handled (its handler returned), by queue and event type",
    ["queue", "event_type"])
EVENTS_RETRIED = Counter(
    "wecare_events_retried_total",
    "Event deliveries that failed and were scheduled again (backoff), by queue and event type",
    ["queue", "event_type"])
EVENTS_PARKED = Counter(
    "wecare_events_parked_total",
    "Events parked in wecare.dead-letter, by queue and event type ('invalid' when the "
    "envelope was)", ["queue", "event_type"])
EVENT_HANDLING = Histogram(
    "wecare_event_handler_duration_seconds",
    "Time a consumer's handler took, by queue", ["queue"], buckets=LATENCY)
INBOX_HANDLED = Counter(
    "wecare_inbox_handled_total",
    "Events a consumer recorded as handled for the first time (committed), by consumer",
    ["consumer"])
INBOX_DUPLICATES = Counter(
    "wecare_inbox_duplicates_total",
    "Deliveries of an event a consumer had already handled (changed nothing), by consumer",
    ["consumer"])

# -- the business -------------------------------------------------------------------------
VOUCHERS_ISSUED = Counter("wecare_vouchers_issued_total",
                          "Vouchers bought (committed), by category", ["category"])
VOUCHERS_REDEEMED = Counter("wecare_vouchers_redeemed_total",
                            "Vouchers redeemed by a provider (committed), by category",
                            ["category"])
VOUCHERS_CANCELLED = Counter("wecare_vouchers_cancelled_total",
                             "Vouchers cancelled or expired, their credit given back "
                             "(committed), by category and how", ["category", "how"])
CREDIT_GRANTED = Counter("wecare_credit_granted_cents_total",
                         "Credit granted to employees' plans, in euro cents (committed)")
TOPUPS = Counter("wecare_topups_total",
                 "Company fund top-ups by method and the state they reached (requested, "
                 "succeeded, failed)", ["method", "state"])
PAYOUTS = Counter("wecare_payouts_total",
                  "Payouts to providers by method and state (sent; pending: waiting for its "
                  "Stripe transfer; failed: a transfer attempt failed, the payout stays pending)",
                  ["method", "state"])
EMAILS = Counter("wecare_emails_total",
                 "Emails the SMTP server accepted (sent), and attempts it refused or could "
                 "not be reached for (failed: retried with the event, given up after the 5th)",
                 ["outcome"])
SIGNINS_FAILED = Counter("wecare_signins_failed_total",
                         "Refused sign-ins, by reason (wrong_credentials; rate_limited: "
                         "too many failures for the account or the address)", ["reason"])
LEDGER_BALANCED = Gauge("wecare_ledger_audit_balanced",
                        "1 when the last ledger audit found every invariant holding, else 0")
LEDGER_AUDITED = Gauge("wecare_ledger_audit_last_run_timestamp_seconds",
                       "When the ledger audit last ran (Unix time)")


# -- a labelled series, looked up once -------------------------------------------------------
_children: dict[tuple[Any, ...], Any] = {}


def child(metric: Any, *values: str) -> Any:
    """`metric.labels(*values)`, kept for the next call: prometheus_client checks and
    converts the values and takes a lock at every `labels` (several times the cost of the
    `inc` or `observe` itself), which the paths run per request or per event pay once
    here. The labels are bounded, so is this."""
    key = (metric, *values)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*values)
    return found


# -- counted when the transaction commits ---------------------------------------------------
def on_commit(session: Any, child: Any, amount: float = 1) -> None:
    """Count `child` (a labelled counter) by `amount` when `session`'s transaction
    commits; nothing when it rolls back (sessions of `outbox.outbox_sessionmaker`)."""
    session.info.setdefault("metrics_on_commit", []).append((child, amount))


def committed(session: Any) -> None:
    for child, amount in session.info.pop("metrics_on_commit", ()):
        child.inc(amount)


def rolled_back(session: Any) -> None:
    session.info.pop("metrics_on_commit", None)


# -- the outbox's backlog, read from each service's database when scraped ------------------
class OutboxBacklog(Collector):
    """`wecare_outbox_oldest_unsent_age_seconds` and `wecare_outbox_unsent_events`, asked
    of the database at each scrape (a stuck relay cannot keep them stale): one indexed
    read of the unsent rows (the partial index `ix_outbox_unsent`)."""

    def __init__(self) -> None:
        self.sources: dict[str, Callable[[], tuple[int, float | None]]] = {}

    def add(self, service: str, read: Callable[[], tuple[int, float | None]]) -> None:
        self.sources[service] = read

    def remove(self, service: str) -> None:
        self.sources.pop(service, None)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        age = GaugeMetricFamily(
            "wecare_outbox_oldest_unsent_age_seconds",
            "Age of the oldest event recorded but not yet published (0 when none waits)",
            labels=["service"])
        unsent = GaugeMetricFamily("wecare_outbox_unsent_events",
                                   "Events recorded but not yet published", labels=["service"])
        for service, read in list(self.sources.items()):
            try:
                count, oldest = read()
            except Exception:  # noqa: BLE001 - a scrape must answer; the database is down
                log.warning("cannot read %s's outbox backlog", service, exc_info=True)
                continue
            age.add_metric([service], max(0.0, time.time() - oldest) if oldest else 0.0)
            unsent.add_metric([service], count)
        yield age
        yield unsent

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []


OUTBOX_BACKLOG = OutboxBacklog()
REGISTRY.register(OUTBOX_BACKLOG)


# -- serving ----------------------------------------------------------------------------
def metrics_address(name: str) -> str | None:
    """Where process `name` serves its metrics: `<NAME>_METRICS_ADDRESS`, else
    `WECARE_METRICS_ADDRESS` (one per pod in the cluster); None: not served."""
    from wecare_common.config import env

    return env(f"{name.upper()}_METRICS_ADDRESS") or env("WECARE_METRICS_ADDRESS")


# A scrape is written a slice of samples at a time, the event loop let go between slices:
# every process serves its requests on one event loop, and the gateway's ~900 lines took
# ~10 ms of CPU in one go (the wallet's 6), holding every request in flight that long, at
# each scrape (make bench-telemetry: the p99s). A slice: ~0.5 ms.
SLICE = 64


class _Family(Collector):
    """One metric family, as a collector (what `generate_latest` writes from)."""

    def __init__(self, family: Metric) -> None:
        self.family = family

    def collect(self) -> Iterable[Metric]:
        return [self.family]


def render(registry: Collector = REGISTRY,
           pause: Callable[[], None] = lambda: time.sleep(0)) -> bytes:
    """Every metric of `registry` in Prometheus' text format (version 0.0.4), written by
    prometheus_client's `generate_latest` SLICE samples at a time, `pause()` between
    (under eventlet `time.sleep(0)` lets other green threads run): byte for byte what
    it writes at once."""
    parts: list[bytes] = []
    since_pause = 0
    for family in registry.collect():
        samples = family.samples
        if len(samples) <= SLICE or family.type not in ("counter", "gauge", "histogram"):
            parts.append(generate_latest(_Family(family)))
            since_pause += len(samples)
            if since_pause >= SLICE:
                pause()
                since_pause = 0
            continue
        for start in range(0, len(samples), SLICE):
            part = Metric(family.name, family.documentation, family.type, family.unit)
            part.samples = samples[start:start + SLICE]
            text = generate_latest(_Family(part))
            # the family's `# HELP` and `# TYPE` once, before its first slice
            parts.append(text if start == 0 else text.split(b"\n", 2)[2])
            pause()
        since_pause = 0
    return b"".join(parts)


def wsgi_app() -> Callable[..., Any]:
    """The `/metrics` answer (any path, as prometheus_client's): `render`, never gzipped
    (compressing a scrape took a sixth of its CPU to save bandwidth inside the cluster,
    tens of kB every 30 s: make bench-telemetry)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET")])
            return [b""]
        body = render()
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_PLAIN_0_0_4),
                                  ("Content-Length", str(len(body)))])
        return [body] if environ["REQUEST_METHOD"] == "GET" else [b""]

    return app
