"""Issue 22's traces: a voucher bought through the page is one trace, from the browser's
request at the gateway, through the web app and its API call back into the gateway, the
RPC to the wallet, the wallet's SQL, the event it recorded (its trace context kept in the
outbox until the relay published it) to the consumer that handles it and that
consumer's SQL: every span with one trace id, each a child of the one before. Spans go
to an in-memory exporter; the context crosses real HTTP and AMQP."""

from __future__ import annotations

import re
import time

import requests
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from support.e2e import approved_provider, funded_employee
from wecare_common import tracing

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def sign_in(url: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{url}/", timeout=10)
    r = browser.post(f"{url}/sign-in", allow_redirects=False, timeout=10, data={
        "csrf_token": CSRF.search(page.text)[1], "email": email, "password": password})
    assert r.status_code == 303, r.text[:500]
    return browser


def test_a_purchase_through_the_page_is_one_trace(stack, admin, company, fake) -> None:  # type: ignore[no-untyped-def]
    provider = approved_provider(stack, admin, fake, price_cents=1_500)
    employee, _token, _ = funded_employee(stack, admin, company, fake, 10_000)
    browser = sign_in(stack.url, employee["email"], employee["password"])
    for _ in range(50):  # the wallet hears of a new offering through an event
        offering = browser.get(f"{stack.url}/offerings/{provider.offering_id}", timeout=10)
        if offering.status_code == 200 and "f-plan_id" not in offering.text:
            break
    form = {"csrf_token": CSRF.search(offering.text)[1],
            "idempotency_key": KEY.search(offering.text)[1]}

    memory = InMemorySpanExporter()
    tracing.enable("wecare-e2e", SimpleSpanProcessor(memory))
    try:
        bought = browser.post(f"{stack.url}/offerings/{provider.offering_id}/buy", data=form,
                              allow_redirects=False, timeout=30)
        assert bought.status_code == 303, bought.text[:300]

        def trace() -> list:
            spans = memory.get_finished_spans()
            page = [s for s in spans if s.name == "POST /offerings/<oid>/buy"]
            assert len(page) == 1, [s.name for s in spans]
            return [s for s in spans if s.context.trace_id == page[0].context.trace_id]

        deadline = time.monotonic() + 30
        while not any(s.kind == SpanKind.CONSUMER and "notifications" in s.name
                      and s.end_time for s in trace()):
            assert time.monotonic() < deadline, sorted(s.name for s in trace())
            time.sleep(0.2)
        time.sleep(0.5)  # the consumer's statements end with it
        spans = trace()
    finally:
        tracing.disable()

    by_id = {s.context.span_id: s for s in spans}

    def one(kind: SpanKind, name: str) -> object:
        found = [s for s in spans if s.kind == kind and s.name == name]
        assert found, f"no {kind.name} span {name!r} in {sorted(s.name for s in spans)}"
        return found[0]

    def ancestors(span: object) -> list[str]:
        chain = []
        while span.parent is not None and span.parent.span_id in by_id:  # type: ignore[attr-defined]
            span = by_id[span.parent.span_id]  # type: ignore[attr-defined]
            chain.append(span.name)  # type: ignore[attr-defined]
        return chain

    root = one(SpanKind.SERVER, "POST /<path:path>")  # the browser's request at the gateway
    assert root.parent is None  # type: ignore[attr-defined]
    web = one(SpanKind.SERVER, "POST /offerings/<oid>/buy")
    api = one(SpanKind.SERVER, "POST /api/v1/me/vouchers")
    assert api.attributes["http.route"] == "/api/v1/me/vouchers"  # type: ignore[attr-defined]
    rpc = one(SpanKind.CLIENT, "wallet/purchase_voucher")
    wallet = one(SpanKind.SERVER, "POST /rpc/purchase_voucher")
    published = one(SpanKind.PRODUCER, "publish voucher.issued")
    consumers = [s for s in spans if s.kind == SpanKind.CONSUMER]
    wallet_sql = [s for s in spans if s.kind == SpanKind.CLIENT
                  and s.attributes.get("db.namespace") == "wallet"]
    notification_sql = [s for s in spans if s.kind == SpanKind.CLIENT
                        and s.attributes.get("db.namespace") == "notifications"]
    assert wallet_sql and notification_sql, sorted(s.name for s in spans)
    assert all(s.attributes["db.system.name"] == "postgresql" for s in wallet_sql)
    # each hop a child of the one before, across HTTP, the outbox and the broker
    assert ancestors(web)[-1] == root.name  # type: ignore[attr-defined]
    assert web.name in ancestors(api)  # type: ignore[attr-defined]
    assert api.name in ancestors(rpc)  # type: ignore[attr-defined]
    assert rpc.name in ancestors(wallet)  # type: ignore[attr-defined]
    assert wallet.name in ancestors(wallet_sql[0])  # type: ignore[attr-defined]
    assert wallet.name in ancestors(published)  # type: ignore[attr-defined]
    assert any(published.name in ancestors(c) for c in consumers)  # type: ignore[attr-defined]
    consumer = next(c for c in consumers if published.name in ancestors(c))  # type: ignore[attr-defined]
    assert consumer.attributes["messaging.system"] == "rabbitmq"
    assert any(consumer.name in ancestors(s) for s in notification_sql)
    assert len({s.context.trace_id for s in spans}) == 1
