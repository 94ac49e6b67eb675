"""Boundaries never reach the server's error path (issue 23.10), generated from the
gateway's route table as the access matrix is (tests/support/routes.py): on every route,
asked by a role it admits with its row's request, every header, path id and field is sent
at its documented limit, one past it and in odd Unicode. The answer is a 2xx or a 4xx,
never a 5xx; one past a limit is a 400 naming what was past it.

The limits are read from the route's schemas (marshmallow's Length and Range, the ones
docs/api.md and /api/v1/openapi.json show) and from docs/api.md for the headers
(Idempotency-Key: 1 to 200 characters). One tenant for the module, one request at a
time per route but a route's requests together (a few at once): about a thousand
requests in all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import eventlet
import pytest
from marshmallow import Schema, fields, validate
from support.routes import MATRIX, ROUTES, Tenant, call, filled, make_tenant, roles_of

# superscript digits (str.isdigit() says yes, int() says no), Arabic-Indic digits, a
# right-to-left override, a combining accent, NUL, a lone surrogate, astral characters
ODD = ["¹²³", "٣", "\u202egnp.exe", "e\u0301", "\x00", "\ud800", "\U0001f600" * 3]
LONG = 20_000  # a string field with no declared limit is sent this long
KEY_LIMIT = 200  # docs/api.md#idempotency-keys
# routes whose success would end what the module's other requests use
SKIP = {("POST", "/api/v1/auth/logout")}


@dataclass(frozen=True)
class Case:
    what: str  # "body:name", "query:name", "path:name", "header:Name"
    value: Any
    past: bool = False  # one past the documented limit: a 400 naming it


@pytest.fixture(scope="module")
def tenant(stack, admin, fake) -> Tenant:  # type: ignore[no-untyped-def]
    return make_tenant(stack, admin, fake)


def _limits(field: fields.Field) -> tuple[validate.Length | None, validate.Range | None]:
    found = field.validators
    length = next((v for v in found if isinstance(v, validate.Length)), None)
    limits = next((v for v in found if isinstance(v, validate.Range)), None)
    return length, limits


def field_cases(schema: type[Schema] | Schema, prefix: str = "") -> list[Case]:
    """Each field at its limits, one past them and in odd Unicode (nested ones too)."""
    declared = (schema if isinstance(schema, Schema) else schema()).fields
    cases: list[Case] = []
    for name, field in declared.items():
        if field.dump_only:
            continue
        key = f"{prefix}{field.data_key or name}"
        if isinstance(field, fields.Nested):
            cases += field_cases(field.schema, key + ".")
            continue
        length, limits = _limits(field)
        if isinstance(field, fields.List):
            inner = field.inner
            items = ["x"] if not isinstance(inner, fields.Integer) else [1]
            if length is not None and length.max is not None:
                cases += [Case(key, items * length.max),
                          Case(key, items * (length.max + 1), past=True)]
            cases += [Case(key, [odd]) for odd in ODD[:3]] + [Case(key, [LONG * "x"])]
            continue
        if isinstance(field, fields.Integer | fields.Float | fields.Decimal):
            if limits is not None and limits.max is not None:
                cases += [Case(key, limits.max), Case(key, limits.max + 1, past=True)]
            if limits is not None and limits.min is not None:
                cases += [Case(key, limits.min), Case(key, limits.min - 1, past=True)]
            cases += [Case(key, 2**63), Case(key, -(2**63) - 1), Case(key, "¹")]
            continue
        if isinstance(field, fields.String):
            if length is not None and length.max is not None:
                cases += [Case(key, "a" * length.max), Case(key, "è" * length.max),
                          Case(key, "a" * (length.max + 1), past=True),
                          Case(key, "è" * (length.max + 1), past=True)]
            else:
                cases.append(Case(key, "a" * LONG))
        cases += [Case(key, odd) for odd in ODD]
    return cases


def path_cases(url: str) -> list[Case]:
    names = [part[1:-1] for part in url.split("/") if part.startswith("<")]
    odd = ["%C2%B9", "%00", "%ED%A0%80", "9" * 40, "è" * 300]
    return [Case(f"path:{name}", value) for name in names for value in odd]


def header_cases(key: tuple[str, str]) -> list[Case]:
    route = ROUTES[key]
    cases = [Case("header:Authorization", value) for value in (
        "Bearer " + "¹" * 10, "Bearer " + "x" * 5000)]
    if route.moves_money:
        cases += [Case("header:Idempotency-Key", value) for value in (
            "k" * (KEY_LIMIT - 1), "k" * KEY_LIMIT, "è" * (KEY_LIMIT - 1), "è" * KEY_LIMIT,
            "¹".encode() * 10, "\U0001f600".encode() * 50)]
        cases += [Case("header:Idempotency-Key", "k" * (KEY_LIMIT + 1), past=True),
                  Case("header:Idempotency-Key", "è" * (KEY_LIMIT + 1), past=True)]
    elif key[0] == "POST":  # sign-ups read it too
        cases += [Case("header:Idempotency-Key", value) for value in (
            "è" * KEY_LIMIT, "\U0001f600".encode() * 50)]
    return cases


def set_path(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    out = dict(body)
    head, _, rest = dotted.partition(".")
    out[head] = set_path(dict(out.get(head) or {}), rest, value) if rest else value
    return out


def names_it(answer: dict[str, Any], dotted: str) -> bool:
    error = answer.get("error", {})
    found: Any = error.get("fields") or {}
    for part in dotted.split("."):
        if not isinstance(found, dict) or part not in found:
            return False
        found = found[part]
    return True


def _role(key: tuple[str, str]) -> str | None:
    admitted = roles_of(key)
    if admitted is None:
        return None
    return next(r for r in ("admin", "hr", "employee", "provider", "network") if r in admitted)


KEYS = sorted(k for k in MATRIX if k in ROUTES and k not in SKIP)


def test_every_limit_answers_2xx_or_a_4xx_naming_it(stack, admin, tenant, fake) -> None:
    """Routes asked together (a few at once), each route's requests one after another
    (two of them at once would be a race, which is not what this asks)."""
    pool = eventlet.GreenPool(6)
    wrong = [w for found in pool.imap(lambda key: ask_route(stack, admin, tenant, fake, key),
                                      KEYS) for w in found]
    assert not wrong, f"{len(wrong)} answers:\n" + "\n".join(map(str, wrong))


def ask_route(stack: Any, admin: str, tenant: Tenant, fake: Any, key: tuple[str, str]
              ) -> list[tuple[Any, ...]]:
    route, row = ROUTES[key], MATRIX[key]
    role = _role(key)
    ids = tenant.ids_for(role)
    if row.fresh is not None:  # once for the route: a success may spend them, a 4xx then
        ids = {**ids, **row.fresh(stack, admin, tenant, fake)}
    cases = header_cases(key) + path_cases(key[1])
    body_schema = route.body_schema if row.csv is None and row.signed is None else None
    if body_schema is not None:
        cases += field_cases(body_schema)
    if route.query_schema is not None:
        cases += [Case(f"query:{c.what}", c.value, c.past)
                  for c in field_cases(route.query_schema)]
    base = row.form if row.form is not None else (
        row.body(fake) if callable(row.body) else row.body)
    # an address of the route's own: the per-address limits of the stack's other tests
    # (password resets, applications) are not this module's to use up
    address = f"198.51.100.{KEYS.index(key) % 250 + 1}"
    wrong: list[tuple[Any, ...]] = []
    for case in cases:
        headers: dict[str, Any] = {"X-Forwarded-For": address}
        body, query, path = filled(base, ids), filled(row.query, ids), None
        kind, _, name = case.what.partition(":")
        if (kind == "query" or row.form is not None) and case.value == "\ud800":
            continue  # no URL or form can carry it (JSON can: "\\ud800")
        if kind == "header":
            headers[name] = case.value
        elif kind == "path":
            path = filled(key[1].replace(f"<{name}>", case.value), ids)
        elif kind == "query":
            query = set_path(query, name, case.value)
        else:
            value = case.value
            if row.form is not None and not isinstance(value, str):
                value = str(value)
            body = set_path(body, case.what, value)
        # the role's token, unless the case is the Authorization header itself
        r = call(stack, key, row, role, tenant, fake, ids=ids, headers=headers,
                 body=body if (body or body_schema is not None) else None, query=query,
                 path=path)
        try:
            answer: Any = r.json()
        except ValueError:
            answer = r.text[:200]
        if r.status_code >= 500:
            wrong.append((key, case.what, _shown(case.value), r.status_code, answer))
        elif case.past:
            field = case.what.partition(":")[2] if kind in ("header", "query") else case.what
            # a list past its length may be past the body's size first: that names it too
            named = isinstance(answer, dict) and (names_it(answer, field)
                                                  or names_it(answer, "_body"))
            if r.status_code != 400 or not named:
                wrong.append((key, case.what, _shown(case.value), r.status_code, answer))
    return wrong


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else f"{text[:40]}… ({len(text)} characters)"


def test_every_route_is_asked() -> None:
    """A route with no row fails here as in the access matrix (a new route's limits are
    asked the day it has its row)."""
    assert set(ROUTES) - set(MATRIX) == set()
    assert {k for k in ROUTES if k not in SKIP} == set(KEYS)

