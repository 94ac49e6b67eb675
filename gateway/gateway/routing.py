"""The gateway's HTTP entrypoint: authentication, roles, validated bodies and
query strings, JSON responses and the error table, in one place.

    @api("POST", "/api/v1/companies", roles=("admin",), body=CompanyIn,
         response=CompanyOut, status=201)
    def create_company(self, call, **path): ...
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema
from wecare_common import clock
from wecare_common.contract import refusals
from wecare_common.db import Database
from wecare_common.errors import DomainError, InvalidInput
from wecare_common.schemas import instance, load
from wecare_common.telemetry import HttpEntrypoint
from werkzeug.wrappers import Request, Response

from gateway import clients, errors
from gateway.auth import Principal, principal_from
from gateway.standing import Standing, day_of
from gateway.users import session_standing

MAX_JSON_BYTES = 256 * 1024
# an employee who left sees, on every answer, until when they may still read
READ_ONLY_HEADER = "WeCare-Read-Only-Until"
READ_ONLY_UNTIL = "wecare.read_only_until"


@dataclass
class Call:
    """What a handler gets: the caller, the validated body and query, the key."""

    request: Request
    principal: Principal | None
    body: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass
class SignedInCall(Call):
    """What the handler of a route with roles gets: the caller is known."""

    principal: Principal


class ApiRoute(HttpEntrypoint):
    def __init__(self, method: str, url: str, *, roles: tuple[str, ...] | None = None,
                 body: type[Schema] | None = None, query: type[Schema] | None = None,
                 response: type[Schema] | None = None, status: int = 200,
                 moves_money: bool = False, summary: str = "",
                 body_type: str = "application/json", max_body_bytes: int = MAX_JSON_BYTES,
                 open_to_leavers: bool | None = None, any_origin: bool = False,
                 **kwargs: Any) -> None:
        self.roles = roles
        # open data (no credentials, nothing of any person): any site may read the
        # answer from a browser, a refusal too (so it can say which field was wrong)
        self.any_origin = any_origin
        # what an employee who left may still do while their access lasts: read (GET),
        # and what a route declares (cancel a voucher, sign out); nothing else
        self.open_to_leavers = method == "GET" if open_to_leavers is None else open_to_leavers
        self.body_schema = body
        self.query_schema = query
        self.response_schema = response
        self.status = status
        self.moves_money = moves_money
        self.summary = summary
        # JSON bodies are parsed here; multipart forms too (fields validated, files kept
        # for the handler); any other type (text/csv) is read by the handler itself.
        self.body_type = body_type
        self.max_body_bytes = max_body_bytes
        kwargs.setdefault("expected_exceptions", (DomainError,))
        super().__init__(method, url, **kwargs)

    def handle_request(self, request: Request) -> Response:
        response = clients.transport_headers(request, super().handle_request(request))
        until = request.environ.get(READ_ONLY_UNTIL)
        if until is not None:  # pages show it on every page of a leaver
            response.headers[READ_ONLY_HEADER] = until.isoformat()
        if self.any_origin:
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    def get_entrypoint_parameters(self, request: Request) -> tuple[tuple, dict]:
        call = Call(request, None)
        if self.roles is not None:
            principal = principal_from(request.headers.get("Authorization"))
            if principal.role not in self.roles:
                raise refusals.ROLE_NOT_ALLOWED(role=principal.role)
            if not principal.scoped:
                raise refusals.SIGN_UP_UNFINISHED()  # no scope: no access
            standing = self._standing(principal.session_id)
            if standing is None or standing.ended:
                raise refusals.SESSION_ENDED()
            if standing.read_only:  # an employee who left: reads, and what it lists
                request.environ[READ_ONLY_UNTIL] = standing.until
                if not self.open_to_leavers:
                    raise refusals.READ_ONLY_AFTER_LEAVING(
                        until=day_of(standing.until or clock.now()))
            call = SignedInCall(request, principal)
        if self.query_schema is not None:
            call.query = load(self.query_schema, refuse_nul(request.args.to_dict()))
        if self.body_schema is not None:
            data = (read_form(request, self.max_body_bytes)
                    if self.body_type == "multipart/form-data" else read_json(request))
            call.body = load(self.body_schema, refuse_nul(data))
        if self.moves_money:
            key = request.headers.get("Idempotency-Key", "").strip()
            if not key or len(key) > 200:
                raise refusals.IDEMPOTENCY_KEY_REQUIRED(field="Idempotency-Key")
            call.idempotency_key = key
        # the URL's variables, which nameko's web server sets on the request (a NUL
        # in one, "%00", would reach the database: refused, naming it)
        path_values = dict(vars(request)["path_values"])
        for name, value in path_values.items():
            refuse_nul(value, name)
        return (call,), path_values

    def _standing(self, session_id: str | None) -> Standing | None:
        """Asked of the service's database provider (the gateway owns sessions). A token
        naming no login session is not one we issued: None, refused."""
        if session_id is None:
            return None
        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        with database.new_session() as session:
            return session_standing(session, session_id)

    def response_from_result(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        status = self.status
        if isinstance(result, tuple):
            status, result = result
        if self.response_schema is not None and 200 <= status < 300:
            # A success leaves through its response schema: what the schema does not
            # declare does not leave, so the OpenAPI document is what clients get.
            result = instance(self.response_schema).dump(result)
        return errors.json_response(status, result)

    def response_from_exception(self, exc: BaseException) -> Response:
        return errors.response_from_exception(exc)


def read_raw(request: Request, limit: int = MAX_JSON_BYTES) -> bytes:
    """The request body, refused past `limit` bytes without reading more."""
    too_large = InvalidInput(f"the body is larger than {limit} bytes", {"_body": ["too large"]})
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    raw = request.stream.read(limit + 1) if request.content_length is None else (
        request.get_data(cache=True))
    if len(raw) > limit:
        raise too_large
    return raw


def refuse_nul(data: Any, where: str = "_body") -> Any:
    """No text field may hold a NUL character or an unpaired surrogate (JSON's
    "\\ud800" alone is no character in UTF-8): no database stores them, and no person
    types them."""
    if isinstance(data, str):
        if "\x00" in data or not _encodable(data):
            raise refusals.NUL_CHARACTER(field=where)
    elif isinstance(data, dict):
        for key, value in data.items():
            refuse_nul(key, where)
            refuse_nul(value, str(key))
    elif isinstance(data, list):
        for value in data:
            refuse_nul(value, where)
    return data


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def read_form(request: Request, limit: int) -> dict[str, Any]:
    """A multipart form's fields; its files stay on `request.files`."""
    if request.content_length is not None and request.content_length > limit:
        raise refusals.BODY_TOO_LARGE(max_bytes=limit, field="_body")
    if not request.mimetype.startswith("multipart/form-data"):
        raise refusals.NOT_MULTIPART(field="_body")
    request.max_content_length = limit
    return request.form.to_dict()


def read_json(request: Request) -> Any:
    raw = read_raw(request)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise refusals.NOT_JSON(field="_body") from exc
    if not isinstance(data, dict):
        raise refusals.NOT_A_JSON_OBJECT(field="_body")
    return data


api = ApiRoute.decorator
