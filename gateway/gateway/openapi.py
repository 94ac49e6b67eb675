"""/api/v1/openapi.json, generated from the routes and the same marshmallow
schemas that validate them (apispec)."""

from __future__ import annotations

import functools
import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls

from gateway.routing import ApiRoute
from gateway.schemas import ErrorOut

_PATH_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
_ERRORS = {"400": "invalid input", "401": "not signed in, or credentials refused",
           "403": "role not allowed", "404": "not found", "409": "conflict",
           "422": "a business rule refused it", "429": "too many attempts (Retry-After)",
           "503": "a service is unavailable", "504": "a service did not answer in time"}


def routes_of(service_cls: type) -> list[ApiRoute]:
    found = []
    for name in sorted(dir(service_cls)):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiRoute):
                entrypoint.method_name = name
                found.append(entrypoint)
    return found


def _schema_name(schema: Any) -> str:
    return resolve_schema_cls(schema).__name__


@functools.cache
def build_spec(service_cls: type) -> dict[str, Any]:
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
                "application/json": {"schema": route.response_schema}}
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
    return spec.to_dict()
