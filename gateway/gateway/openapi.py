"""/api/v1/openapi.json, generated from the routes and the same marshmallow
schemas that validate them (apispec)."""

from __future__ import annotations

import functools
import re
from html import escape
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from wecare_common.contract import refusals
from wecare_common.contract.responses import ErrorOut

from gateway.errors import status_of
from gateway.routing import ApiRoute

_PATH_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
_ERRORS = {"400": "invalid input", "401": "not signed in, or credentials refused",
           "403": "role not allowed", "404": "not found", "409": "conflict",
           "422": "a business rule refused it", "429": "too many attempts (Retry-After)",
           "503": "a service is unavailable", "504": "a service did not answer in time"}


# Success bodies a route may answer besides its JSON one, by operation: the
# handler returns them itself (format=csv).
_OTHER_MEDIA = {"fiscal_report": {"text/csv": {"schema": {"type": "string"}}},
                "yearly_report": {"text/csv": {"schema": {"type": "string"}}}}


def routes_of(service_cls: type) -> list[ApiRoute]:
    found = []
    for name in sorted(dir(service_cls)):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiRoute):
                entrypoint.method_name = name
                found.append(entrypoint)
    return found


def _schema_name(schema: Any) -> str:
    resolved = resolve_schema_cls(schema)
    return (resolved[0] if isinstance(resolved, list) else resolved).__name__


def build_spec(service_cls: type) -> dict[str, Any]:
    return _spec(service_cls)


@functools.cache
def _spec(service_cls: type) -> dict[str, Any]:
    spec = APISpec(title="WeCare API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
                   info={"description": "Corporate welfare for Italian SMEs"})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                                "bearerFormat": "JWT"})
    spec.components.schema("ErrorOut", schema=ErrorOut)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes_of(service_cls):
        path = _PATH_PARAM.sub(r"{\1}", route.url)
        operation: dict[str, Any] = {
            "operationId": route.method_name,
            "summary": route.summary or route.method_name.replace("_", " "),
            "responses": {str(route.status): {"description": "success"}},
        }
        if route.response_schema is not None:
            operation["responses"][str(route.status)]["content"] = {
                "application/json": {"schema": route.response_schema},
                **_OTHER_MEDIA.get(route.method_name, {})}
        params = [{"in": "path", "name": n, "required": True, "schema": {"type": "string"}}
                  for n in _PATH_PARAM.findall(route.url)]
        if route.query_schema is not None:
            params.append({"in": "query", "schema": route.query_schema})
        if route.moves_money:
            params.append({"in": "header", "name": "Idempotency-Key", "required": True,
                           "schema": {"type": "string", "minLength": 1, "maxLength": 200}})
        if params:
            operation["parameters"] = params
        if route.body_type == "multipart/form-data":
            operation["requestBody"] = {"required": True, "content": {
                "multipart/form-data": {"schema": route.body_schema}}}
        elif route.body_schema is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": route.body_schema}}}
        elif route.body_type != "application/json":
            operation["requestBody"] = {"required": True, "content": {
                route.body_type: {"schema": {"type": "string"}}}}
        if route.roles is not None:
            operation["security"] = [{"bearer": []}]
            operation["x-roles"] = list(route.roles)
        for status, text in _ERRORS.items():
            operation["responses"].setdefault(status, {
                "description": text,
                "content": {"application/json": {"schema": "ErrorOut"}}})
        for method in route.method.split(","):
            paths.setdefault(path, {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["x-refusals"] = refusal_codes()
    document["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["enum"] = sorted(
        refusals.CODES)
    return document


def refusal_codes() -> dict[str, Any]:
    """Every refusal code (wecare_common.contract.refusals): its status, its English
    message and its parameters' types."""
    return {code: {"status": declared.status or status_of(declared.raises),
                   "message": declared.message,
                   "params": {"type": "object", "required": sorted(declared.params),
                              "properties": {name: {**kind.openapi, "x-kind": kind.name}
                                             for name, kind in declared.params.items()}}}
            for code, declared in refusals.CODES.items()}


def docs_page(service_cls: type) -> str:
    """A readable page of the API, rendered from the same document."""
    return _docs_page(service_cls)


@functools.cache
def _docs_page(service_cls: type) -> str:
    spec = build_spec(service_cls)
    rows = []
    for path, operations in sorted(spec["paths"].items()):
        for method, op in operations.items():
            body = op.get("requestBody", {}).get("content", {})
            body_text = ", ".join(
                f"{kind}: {_ref_name(media.get('schema', {}))}" for kind, media in body.items())
            params = ", ".join(
                f"{p.get('name', 'query')}{'' if p.get('required') else '?'} ({p['in']})"
                for p in op.get("parameters", []))
            ok = ", ".join(code for code in op["responses"] if code.startswith("2"))
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
                f"<td>{escape(op.get('summary', ''))}</td>"
                f"<td>{escape(', '.join(op.get('x-roles', ['anyone'])))}</td>"
                f"<td>{escape(params)}</td><td>{escape(body_text)}</td><td>{ok}</td></tr>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WeCare API</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;
text-align:left;vertical-align:top;font-size:.9rem}}th{{background:#f4f6f8}}code{{color:#0b5}}</style>
</head><body><h1>WeCare API <small>{escape(spec["info"]["version"])}</small></h1>
<p>JSON in and out; money in integer <code>*_cents</code>; <code>Authorization: Bearer</code>
tokens from <code>POST /api/v1/auth/token</code>; requests that move money take an
<code>Idempotency-Key</code>. Errors:
<code>{{"error": {{"code", "params", "message", "fields", "problems"}}}}</code>; a client
decides by <code>code</code> and <code>params</code> (every code: <code>x-refusals</code>).
The machine-readable document: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<table><tr><th>method</th><th>path</th><th>what</th><th>who</th><th>parameters</th>
<th>body</th><th>success</th></tr>
{"".join(rows)}
</table></body></html>"""


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else schema.get("type", "")


REFUSALS_START = "<!-- refusal codes: generated -->\n"
REFUSALS_END = "\n<!-- end of refusal codes -->"


def refusal_table() -> str:
    """docs/api.md#refusal-codes's table, from the registry (`python -m gateway.openapi`
    writes it there; gateway/tests/test_errors.py fails when the page differs)."""
    lines = ["| code | status | params | English message |", "|---|---|---|---|"]
    for code, declared in refusal_codes().items():
        params = ", ".join(f"`{name}` ({spec['x-kind']})" for name, spec in
                           declared["params"]["properties"].items())
        message = declared["message"].replace("|", "\\|")
        lines.append(f"| `{code}` | {declared['status']} | {params} | {message} |")
    return "\n".join(lines)


def write_refusal_table(page: Path) -> None:
    text = page.read_text()
    head, rest = text.split(REFUSALS_START, 1)
    tail = rest.split(REFUSALS_END, 1)[1]
    page.write_text(head + REFUSALS_START + refusal_table() + REFUSALS_END + tail)


if __name__ == "__main__":
    docs = Path(__file__).resolve().parents[2] / "docs" / "api.md"
    write_refusal_table(docs)
    print(f"{docs}: {len(refusals.CODES)} refusal codes")
