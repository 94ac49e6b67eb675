"""Refusal codes (issue 24): declared once with typed params, raised with them,
marshmallow's messages read back as codes, and nothing in the contract refusing
with a message that has no code."""

from __future__ import annotations

import ast
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from kombu.utils.json import dumps, loads
from marshmallow import Schema, ValidationError, fields, validate
from nameko.exceptions import deserialize, serialize
from wecare_common.contract import refusals
from wecare_common.errors import Conflict, DomainError, InvalidInput, NotFound, RuleViolation

LIBS = Path(__file__).resolve().parents[1] / "wecare_common"


def test_every_code_is_declared_once_with_a_message_naming_exactly_its_params() -> None:
    for code, declared in refusals.CODES.items():
        assert declared.code == code and code.islower() and " " not in code
        assert issubclass(declared.raises, DomainError)
        placeholders = {p.split(":")[0] for p in __import__("re").findall(r"{(\w+)}",
                                                                      declared.message)}
        assert placeholders <= set(declared.params), code
    with pytest.raises(ValueError, match="twice"):
        refusals.refusal("not_found", NotFound, "again")


def test_a_refusal_is_raised_as_its_class_with_its_code_params_and_problems() -> None:
    error = refusals.LENGTH_BETWEEN(min=1, max=5, field="name")
    assert type(error) is InvalidInput and error.code == "length_between"
    assert error.params == {"min": 1, "max": 5}
    assert error.fields == {"name": ["Length must be between 1 and 5."]}
    assert error.problems == {"name": [{"code": "length_between",
                                        "params": {"min": 1, "max": 5}}]}
    assert str(error) == "Length must be between 1 and 5."


def test_params_are_checked_against_their_declared_kinds() -> None:
    with pytest.raises(TypeError, match="takes"):
        refusals.LENGTH_BETWEEN(min=1)
    with pytest.raises(TypeError, match="must be count"):
        refusals.LENGTH_BETWEEN(min="1", max=5)
    with pytest.raises(TypeError, match="must be count"):
        refusals.LENGTH_BETWEEN(min=True, max=5)
    dated = refusals.Refusal("test_refusals_dated", Conflict, "on {day} at {moment}: "
                             "{room_cents}", {"day": refusals.DATE, "moment": refusals.DATETIME,
                                              "room_cents": refusals.CENTS})
    error = dated(day=date(2026, 12, 31), moment=datetime(2026, 1, 2, 3, 4),
                  room_cents=123456)
    assert error.params == {"day": "2026-12-31", "moment": "2026-01-02T03:04:00",
                            "room_cents": 123456}
    assert error.message == "on 2026-12-31 at 2026-01-02T03:04:00: 1.234,56 €"


def test_code_params_and_problems_survive_nameko_serialization_typed() -> None:
    error = refusals.LENGTH_BETWEEN(min=1, max=5, field="name")
    back = deserialize(loads(dumps(serialize(error))))
    assert type(back) is InvalidInput and back.code == "length_between"
    assert back.params == {"min": 1, "max": 5} and back.problems == error.problems
    # an error made the old way still travels, with its class's code
    old = deserialize(loads(dumps(serialize(RuleViolation("no", {"x": ["y"]})))))
    assert (old.code, old.params, old.problems, old.fields) == ("rule_violation", {}, {},
                                                                  {"x": ["y"]})


class Form(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=5))
    short = fields.String(validate=validate.Length(max=3))
    long = fields.String(validate=validate.Length(min=3))
    exact = fields.String(validate=validate.Length(equal=2))
    count = fields.Integer(strict=True, validate=validate.Range(min=1, max=10))
    low = fields.Float(validate=validate.Range(min=0.1))
    high = fields.Integer(validate=validate.Range(max=7))
    kind = fields.List(fields.String(validate=validate.OneOf(["a", "b"])))
    email = fields.Email()
    day = fields.Date()
    moment = fields.DateTime()
    flag = fields.Boolean()
    pattern = fields.String(validate=validate.Regexp(r"^x$"))
    nothing = fields.String(allow_none=False)


@pytest.mark.parametrize("data, field, code, params", [
    ({}, "name", "required", {}),
    ({"name": "toolong"}, "name", "length_between", {"min": 1, "max": 5}),
    ({"short": "four"}, "short", "too_long", {"max": 3}),
    ({"long": "ab"}, "long", "too_short", {"min": 3}),
    ({"exact": "abc"}, "exact", "length_exactly", {"equal": 2}),
    ({"count": 0}, "count", "between", {"min": 1, "max": 10}),
    ({"count": "1"}, "count", "not_an_integer", {}),
    ({"low": 0.01}, "low", "at_least", {"min": 0.1}),
    ({"high": 8}, "high", "at_most", {"max": 7}),
    ({"kind": ["c"]}, "kind", "one_of", {"choices": "a, b"}),
    ({"email": "nope"}, "email", "not_an_email", {}),
    ({"day": "31/12/2026"}, "day", "not_a_date", {}),
    ({"moment": "then"}, "moment", "not_a_datetime", {}),
    ({"flag": "maybe"}, "flag", "not_a_boolean", {}),
    ({"pattern": "y"}, "pattern", "not_the_pattern", {}),
    ({"nothing": None}, "nothing", "null", {}),
    ({"extra": 1}, "extra", "unknown_field", {}),
    ({"name": 5}, "name", "not_a_string", {}),
])
def test_marshmallows_own_messages_read_back_as_their_codes(data, field, code, params) -> None:
    with pytest.raises(ValidationError) as exc:
        Form().load({"name": "ok", **data} if field != "name" else data)
    error = refusals.validation_error(exc.value)
    assert error.code == "validation_error"
    assert error.problems[field] == [{"code": code, "params": params}]
    json.dumps(error.fields)  # plain JSON, as marshmallow said it


def test_the_contracts_validators_refuse_with_codes_not_bare_messages() -> None:
    """No `ValidationError("…")` with a bare string in wecare_common: a field's
    problem is a declared code (`CODE.said()`), so a page can say it its way."""
    bare = []
    # (events.py checks envelopes between services: no person meets those)
    for path in [*LIBS.glob("contract/*.py"), LIBS / "validators.py", LIBS / "schemas.py",
                 LIBS.parents[2] / "gateway/gateway/schemas.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ValidationError"
                    and node.args and isinstance(node.args[0], ast.Constant | ast.JoinedStr)):
                bare.append(f"{path.name}:{node.lineno}")
            if (isinstance(node, ast.keyword) and node.arg == "error"
                    and isinstance(node.value, ast.Constant)):
                # a validator's own wording names a read-back code's message
                bare.append(f"{path.name}:{node.value.lineno} error=")
    assert not bare, f"refuse with refusals.CODE.said(): {bare}"


def test_a_schemas_own_error_text_reads_back_as_its_code() -> None:
    from wecare_common.schemas import PageSchema
    with pytest.raises(ValidationError) as exc:
        PageSchema().load({"cursor": "x"})
    assert refusals.validation_error(exc.value).problems["cursor"][0]["code"] == "not_a_cursor"
    for code in refusals.READ_BACK:  # each read-back template reads itself back
        declared = refusals.CODES[code]
        sample = {n: (3 if k in (refusals.COUNT, refusals.NUMBER) else "a, b")
                  for n, k in declared.params.items()}
        assert refusals.problem_of(declared.english(sample))["code"] == code


def test_an_unknown_message_is_an_invalid_value_not_a_guess() -> None:
    assert refusals.problem_of("something new") == {"code": "invalid_value", "params": {}}
    assert refusals.problem_of(refusals.NOT_A_FISCAL_CODE.said()) == {
        "code": "not_a_fiscal_code", "params": {}}
