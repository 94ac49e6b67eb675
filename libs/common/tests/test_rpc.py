"""Both RPC transports against a real service: nameko's AMQP RPC and HTTP
(`POST /rpc/<method>`) give the same results and the same domain errors, and a
caller never hangs on a missing or slow service."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import eventlet
import nameko
import pytest
import requests
from marshmallow import Schema, fields, validate
from nameko.exceptions import RemoteError
from nameko.testing.services import entrypoint_hook
from support import free_port
from wecare_common import config
from wecare_common.contract import refusals
from wecare_common.errors import InvalidInput, RuleViolation
from wecare_common.rpc import (
    TOKEN_HEADER,
    ServiceTimeout,
    ServiceUnavailable,
    TimedServiceRpc,
    rpc,
)
from wecare_common.schemas import load


class Ledgerish:
    name = "ledgerish"

    @rpc
    def add(self, a: int, b: int = 0, *, on: str | None = None) -> dict[str, Any]:
        return {"sum": a + b, "on": on}

    @rpc
    def refuse(self, room: int) -> None:
        raise RuleViolation(f"only {room} cents of room", {"amount_cents": [f"room {room}"]})

    @rpc
    def refuse_by_code(self, room: int) -> None:
        raise TRAVELLER(room_cents=room, year=2026, on=date(2026, 3, 1), field="amount_cents")

    @rpc
    def refuse_a_form(self, name: str) -> None:
        load(Named, {"name": name})

    @rpc
    def crash(self) -> None:
        raise KeyError("boom")

    @rpc
    def slow(self, seconds: float) -> str:
        eventlet.sleep(seconds)
        return "late"


# a code of this test's own (not registered: no page ever meets it)
TRAVELLER = refusals.Refusal("test_rpc_traveller", RuleViolation,
                             "{room_cents} left in {year} from {on}", {
                                 "room_cents": refusals.CENTS, "year": refusals.YEAR,
                                 "on": refusals.DATE})


class Named(Schema):
    name = fields.String(validate=validate.Length(min=1, max=3))


class Caller:
    name = "caller"
    ledgerish = TimedServiceRpc("ledgerish", timeout=1)

    @rpc
    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.ledgerish, method)(*args, **kwargs)


@pytest.fixture(params=["amqp", "http"])
def ledgerish(request, rabbit_config, container_factory, monkeypatch):
    """A caller's `ledgerish` dependency, over each transport in turn."""
    port = free_port()
    if request.param == "http":
        monkeypatch.setenv("LEDGERISH_URL", f"http://127.0.0.1:{port}")
    with nameko.config.patch({"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}):
        container_factory(Ledgerish).start()
    caller = container_factory(Caller)
    caller.start()
    (dependency,) = [d for d in caller.extensions if isinstance(d, TimedServiceRpc)]
    assert (dependency.url is not None) == (request.param == "http")
    return Through(caller)


class Through:
    """Calls made by the caller service's worker, through its dependency."""

    def __init__(self, container: Any) -> None:
        self.container = container

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            with entrypoint_hook(self.container, "call") as hook:
                return hook(method, *args, **kwargs)
        return call


def test_results_and_arguments_travel_as_json(ledgerish) -> None:
    # kombu's JSON keeps dates as dates, over either transport
    assert ledgerish.add(2, b=3, on=date(2026, 1, 31)) == {"sum": 5, "on": date(2026, 1, 31)}


def test_a_domain_error_arrives_as_its_own_class(ledgerish) -> None:
    with pytest.raises(RuleViolation) as refused:
        ledgerish.refuse(120)
    assert refused.value.message == "only 120 cents of room"
    assert refused.value.fields == {"amount_cents": ["room 120"]}


def test_a_refusal_arrives_with_its_code_and_params_typed_as_declared(ledgerish) -> None:
    # nameko's own serialization would make every number of an exception's args a string
    with pytest.raises(RuleViolation) as refused:
        ledgerish.refuse_by_code(120)
    assert refused.value.code == "test_rpc_traveller"
    assert refused.value.params == {"room_cents": 120, "year": 2026, "on": "2026-03-01"}
    assert refused.value.problems == {"amount_cents": [{"code": "test_rpc_traveller", "params": {
        "room_cents": 120, "year": 2026, "on": "2026-03-01"}}]}
    assert refused.value.message == "1,20 € left in 2026 from 2026-03-01"
    with pytest.raises(InvalidInput) as invalid:
        ledgerish.refuse_a_form("toolong")
    assert invalid.value.code == "validation_error"
    assert invalid.value.problems == {"name": [{"code": "length_between",
                                                "params": {"min": 1, "max": 3}}]}


def test_a_crash_is_a_remote_error(ledgerish) -> None:
    with pytest.raises(RemoteError) as crashed:
        ledgerish.crash()
    assert crashed.value.exc_type == "KeyError"


def test_a_slow_service_is_a_timeout_not_a_hang(ledgerish) -> None:
    started = time.monotonic()
    with pytest.raises(ServiceTimeout):
        ledgerish.slow(5)
    assert time.monotonic() - started < 4


def test_nobody_listening_is_service_unavailable(monkeypatch) -> None:
    from wecare_common.rpc import _HttpService, http_pool

    service = _HttpService(http_pool(), f"http://127.0.0.1:{free_port()}",
                           "ledgerish", 1, config.internal_token())
    with pytest.raises(ServiceUnavailable, match="not running"):
        service.add(1)


def test_http_calls_need_the_clusters_token(rabbit_config, container_factory) -> None:
    port = free_port()
    with nameko.config.patch({"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}):
        container_factory(Ledgerish).start()
    url = f"http://127.0.0.1:{port}/rpc/add"
    body = '{"args": [1, 2]}'
    assert requests.post(url, data=body, timeout=5).status_code == 403
    assert requests.post(url, data=body, headers={TOKEN_HEADER: "guess"},
                         timeout=5).status_code == 403
    ok = requests.post(url, data=body, headers={TOKEN_HEADER: config.internal_token()},
                       timeout=5)
    assert ok.status_code == 200 and ok.json() == {"result": {"sum": 3, "on": None}}
