"""Every refusal a person can meet, declared once: a stable code, its typed
parameters and its English message (docs/api.md#refusal-codes).

A service raises one by calling it with its parameters:

    raise refusals.NOT_ENOUGH_CREDIT(needed_cents=2500, available_cents=1200,
                                     field="offering_id")

which makes the DomainError class the code is declared with (so the gateway's one
table still gives the HTTP status), carrying `code`, `params` and, per field,
`problems` (each a code with its params). The gateway's error body carries all
three unchanged beside the English `message` and `fields`; the web app writes the
person's text from the code and the params, never from the message. Rewording a
message here changes no page.

A field's problem is a code too. The contract's validators raise `CODE.said(...)`
(a str that remembers its code); marshmallow's own messages are declared below with
marshmallow's wording, and `problem_of` reads them back (the only place that reads
a message: marshmallow's, against its declared template, tested in
libs/common/tests/test_refusals.py).

Adding one: docs/api.md#adding-a-refusal."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from wecare_common import errors
from wecare_common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from wecare_common.money import euro


# -- the kinds of parameters ---------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    """What a parameter is: its JSON type, how the English message writes it, and
    the pattern of that writing (to read marshmallow's messages back)."""

    name: str
    types: tuple[type, ...]
    openapi: Mapping[str, Any]
    english: Callable[[Any], str] = str
    pattern: str = r".+?"

    def check(self, code: str, name: str, value: Any) -> Any:
        if isinstance(value, datetime) and self.name == "datetime":
            return value.isoformat()
        if isinstance(value, date) and self.name == "date":
            return value.isoformat()
        if isinstance(value, tuple) and list in self.types:
            value = list(value)
        if not isinstance(value, self.types) or isinstance(value, bool) and bool not in self.types:
            raise TypeError(f"refusal {code}: {name} must be {self.name}, not {value!r}")
        return value


CENTS = Kind("cents", (int,), {"type": "integer", "description": "euro cents"}, euro)
COUNT = Kind("count", (int,), {"type": "integer"}, str, r"-?\d+")
NUMBER = Kind("number", (int, float), {"type": "number"}, str, r"-?[\d.]+(?:e[+-]?\d+)?")
YEAR = Kind("year", (int,), {"type": "integer"}, str, r"\d{4}")
DATE = Kind("date", (str,), {"type": "string", "format": "date"})
DATETIME = Kind("datetime", (str,), {"type": "string", "format": "date-time"})
TEXT = Kind("text", (str,), {"type": "string"})
TEXTS = Kind("texts", (list,), {"type": "array", "items": {"type": "string"}},
             ", ".join)
# a benefit category's code (wecare_common.categories), which a page names in its language
CATEGORY = Kind("category", (str,), {"type": "string", "x-kind": "category"})
CATEGORIES = Kind("categories", (list,), {"type": "array", "items": {"type": "string"},
                                          "x-kind": "categories"}, ", ".join)


# -- a refusal, and one said ---------------------------------------------------------------
class Said(str):
    """A refusal's English message that remembers its code and params: it travels
    wherever marshmallow or `fields` expect a string."""

    code: str
    params: dict[str, Any]

    def __new__(cls, text: str, code: str, params: dict[str, Any]) -> Said:
        said = super().__new__(cls, text)
        said.code, said.params = code, params
        return said

    def problem(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params}


@dataclass(frozen=True)
class Refusal:
    code: str
    raises: type[DomainError]
    message: str  # English, with {param} placeholders
    params: Mapping[str, Kind] = field(default_factory=dict)
    status: int | None = None  # only for codes the gateway answers from HTTP itself

    def said(self, **params: Any) -> Said:
        checked = self._checked(params)
        return Said(self.english(checked), self.code, checked)

    def __call__(self, *, field: str | None = None,
                 problems: Mapping[str, Sequence[Said]] | None = None,
                 **params: Any) -> DomainError:
        """The error to raise: `field` names the one field it is about (the
        refusal is then that field's problem too); `problems` gives each field's."""
        said = self.said(**params)
        problems = dict(problems or {})
        if field is not None:
            problems.setdefault(field, [said])
        return self.raises(str(said), {f: [str(s) for s in ss] for f, ss in problems.items()},
                           self.code, {"params": said.params, "problems": {
                               f: [s.problem() for s in ss] for f, ss in problems.items()}})

    def english(self, params: Mapping[str, Any]) -> str:
        return self.message.format(**{name: self.params[name].english(value)
                                      for name, value in params.items()})

    def _checked(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if set(params) != set(self.params):
            raise TypeError(f"refusal {self.code} takes {sorted(self.params)}, "
                            f"not {sorted(params)}")
        return {name: self.params[name].check(self.code, name, value)
                for name, value in params.items()}


CODES: dict[str, Refusal] = {}


def refusal(code: str, raises: type[DomainError], message: str, *, status: int | None = None,
            **params: Kind) -> Refusal:
    if code in CODES:
        raise ValueError(f"refusal code {code} declared twice")
    if set(re.findall(r"{(\w+)}", message)) != set(params):
        raise ValueError(f"refusal {code}: its message and its parameters disagree")
    CODES[code] = declared = Refusal(code, raises, message, params, status)
    return declared


# -- the generic codes (each a DomainError class's own) ------------------------------------
VALIDATION_ERROR = refusal("validation_error", InvalidInput, "invalid input")
NOT_FOUND = refusal("not_found", NotFound, "not found")
FORBIDDEN = refusal("forbidden", Forbidden, "not allowed")
CONFLICT = refusal("conflict", Conflict, "the state forbids it")
RULE_VIOLATION = refusal("rule_violation", RuleViolation, "a rule forbids it")
INSUFFICIENT_FUNDS = refusal("insufficient_funds", InsufficientFunds, "not enough funds")
IDEMPOTENCY_CONFLICT = refusal("idempotency_conflict", IdempotencyConflict,
                               "this Idempotency-Key was used with a different request")
UNAUTHENTICATED = refusal("unauthenticated", errors.Unauthenticated, "not signed in")
RATE_LIMITED = refusal("rate_limited", errors.RateLimited,
                       "too many attempts; try again in {retry_after} s", retry_after=COUNT)
TOO_MANY_PROPOSALS = refusal(
    "too_many_proposals", errors.RateLimited,
    "at most {per_day} provider proposals a day; try again in {retry_after} s",
    per_day=COUNT, retry_after=COUNT)
SERVICE_UNAVAILABLE = refusal("service_unavailable", errors.ServiceUnavailable,
                              "a service is unavailable")
SERVICE_TIMEOUT = refusal("service_timeout", errors.ServiceTimeout,
                          "a service did not answer in time")
UNEXPECTED_ERROR = refusal("unexpected_error", DomainError, "something went wrong", status=500)
# what the gateway's HTTP server says itself (an unknown path, a method, a body too large)
BAD_REQUEST = refusal("bad_request", InvalidInput, "the request is not one this API takes")
METHOD_NOT_ALLOWED = refusal("method_not_allowed", InvalidInput,
                             "this method is not allowed here", status=405)
REQUEST_ENTITY_TOO_LARGE = refusal("request_entity_too_large", InvalidInput,
                                   "the body is too large", status=413)

# -- who may act, and until when (docs/api.md#how-access-ends) ------------------------------
SCOPE_MISSING = refusal("scope_missing", Forbidden, "no {missing} named: refused",
                        missing=TEXTS)
SIGN_UP_UNFINISHED = refusal("sign_up_unfinished", Forbidden,
                             "your sign-up is not finished yet: try again in a few minutes")
PROVIDER_NOT_IN_CIRCUIT = refusal(
    "provider_not_in_circuit", Forbidden,
    "this provider is {provider_status}: it cannot redeem vouchers now (what it redeemed "
    "before is still paid)", provider_status=TEXT)
ACCOUNT_DISABLED = refusal("account_disabled", Forbidden, "this account is disabled")
ACCESS_ENDED = refusal("access_ended", Forbidden,
                       "your access ended on {ended_on}: you left the company", ended_on=DATE)
READ_ONLY_AFTER_LEAVING = refusal(
    "read_only_after_leaving", Forbidden,
    "you left the company: until {until} you can read and download, not change anything",
    until=DATE)
NOT_YOURSELF = refusal("not_yourself", Conflict,
                       "you cannot take away your own access: ask a colleague")
EMPLOYEE_LEFT = refusal("employee_left", Forbidden,
                        "you left the company on {left_on}: you can no longer buy vouchers or "
                        "ask for reimbursements", left_on=DATE)

# -- a field's problems: marshmallow's own wording (problem_of reads them back) -------------
REQUIRED = refusal("required", InvalidInput, "Missing data for required field.")
NULL = refusal("null", InvalidInput, "Field may not be null.")
INVALID_VALUE = refusal("invalid_value", InvalidInput, "Invalid value.")
INVALID_TYPE = refusal("invalid_type", InvalidInput, "Invalid type.")
UNKNOWN_FIELD = refusal("unknown_field", InvalidInput, "Unknown field.")
NOT_A_STRING = refusal("not_a_string", InvalidInput, "Not a valid string.")
NOT_A_NUMBER = refusal("not_a_number", InvalidInput, "Not a valid number.")
NOT_AN_INTEGER = refusal("not_an_integer", InvalidInput, "Not a valid integer.")
NUMBER_TOO_LARGE = refusal("number_too_large", InvalidInput, "Number too large.")
NOT_A_BOOLEAN = refusal("not_a_boolean", InvalidInput, "Not a valid boolean.")
NOT_A_DATE = refusal("not_a_date", InvalidInput, "Not a valid date.")
NOT_A_DATETIME = refusal("not_a_datetime", InvalidInput, "Not a valid datetime.")
NOT_AN_AWARE_DATETIME = refusal("not_an_aware_datetime", InvalidInput,
                                "Not a valid aware datetime.")
NOT_A_LIST = refusal("not_a_list", InvalidInput, "Not a valid list.")
NOT_A_MAPPING = refusal("not_a_mapping", InvalidInput, "Not a valid mapping type.")
NOT_AN_EMAIL = refusal("not_an_email", InvalidInput, "Not a valid email address.")
NOT_A_URL = refusal("not_a_url", InvalidInput, "Not a valid URL.")
NOT_A_UUID = refusal("not_a_uuid", InvalidInput, "Not a valid UUID.")
NOT_THE_PATTERN = refusal("not_the_pattern", InvalidInput,
                          "String does not match expected pattern.")
LENGTH_BETWEEN = refusal("length_between", InvalidInput,
                         "Length must be between {min} and {max}.", min=COUNT, max=COUNT)
LENGTH_EXACTLY = refusal("length_exactly", InvalidInput, "Length must be {equal}.",
                         equal=COUNT)
TOO_SHORT = refusal("too_short", InvalidInput, "Shorter than minimum length {min}.",
                    min=COUNT)
TOO_LONG = refusal("too_long", InvalidInput, "Longer than maximum length {max}.", max=COUNT)
AT_LEAST = refusal("at_least", InvalidInput, "Must be greater than or equal to {min}.",
                   min=NUMBER)
AT_MOST = refusal("at_most", InvalidInput, "Must be less than or equal to {max}.", max=NUMBER)
BETWEEN = refusal("between", InvalidInput,
                  "Must be greater than or equal to {min} and less than or equal to {max}.",
                  min=NUMBER, max=NUMBER)
ONE_OF = refusal("one_of", InvalidInput, "Must be one of: {choices}.", choices=TEXT)

# -- a field's problems: the contract's own validators -------------------------------------
NOT_A_CURSOR = refusal("not_a_cursor", InvalidInput, "not a cursor")
OUT_OF_RANGE = refusal("out_of_range", InvalidInput, "out of range")
NOT_A_FISCAL_CODE = refusal("not_a_fiscal_code", InvalidInput,
                            "not a valid codice fiscale (check character)")
NOT_A_VAT_NUMBER = refusal("not_a_vat_number", InvalidInput,
                           "not a valid partita IVA (check digit)")
NOT_AN_IBAN = refusal("not_an_iban", InvalidInput, "not a valid IBAN (check digits)")
NOT_A_TAX_ID = refusal("not_a_tax_id", InvalidInput,
                       "not a valid partita IVA or codice fiscale")
NOT_A_PROVINCE = refusal("not_a_province", InvalidInput, "a two-letter province code")
ENDS_BEFORE_START = refusal("ends_before_start", InvalidInput, "must not be before valid_from")
EMPLOYEES_OR_ALL = refusal("employees_or_all", InvalidInput,
                           "give either employee_ids or all: true")
EMPLOYEE_LISTED_TWICE = refusal("employee_listed_twice", InvalidInput,
                                "an employee is listed twice")
REASON_REQUIRED = refusal("reason_required", InvalidInput, "say why when rejecting")
LAT_AND_LON = refusal("lat_and_lon", InvalidInput, "give both lat and lon")
DISTANCE_NEEDS_PLACE = refusal("distance_needs_place", InvalidInput,
                               "sorting by distance needs lat and lon")
MAX_BELOW_MIN = refusal("max_below_min", InvalidInput, "must not be below min_price_cents")

PRICE_OR_DISCOUNT = refusal("price_or_discount", InvalidInput,
                            "give either price_cents or discount_bps")
TERRITORY_NEEDED = refusal("territory_needed", InvalidInput,
                           "name at least one province or municipality")

# -- networks of firms (docs/domain.md#networks) -------------------------------------------
NETWORK_TAX_ID_TAKEN = refusal("network_tax_id_taken", Conflict,
                               "a network with this tax code is already registered")
COMPANY_NOT_IN_WECARE = refusal("company_not_in_wecare", NotFound,
                                "no firm with this VAT number is in WeCare: bring it in "
                                "instead")
ALREADY_A_MEMBER = refusal("already_a_member", Conflict,
                           "this firm is already a member of the network")
ALREADY_INVITED = refusal("already_invited", Conflict, "this firm has the network's "
                          "invitation already, waiting for its answer")
INVITATION_ANSWERED = refusal("invitation_answered", Conflict,
                              "this invitation is no longer waiting for an answer ({state})",
                              state=TEXT)
ONE_NETWORK_AT_A_TIME = refusal("one_network_at_a_time", RuleViolation,
                                "a firm is in one network at a time: leave the network it "
                                "is in first")
NOT_A_MEMBER = refusal("not_a_member", Conflict, "this firm is not a member of a network")
SHARED_PLAN_WITHDRAWN = refusal("shared_plan_withdrawn", Conflict,
                                "the network has withdrawn this shared plan")
SHARED_PLAN_ADOPTED = refusal("shared_plan_adopted", Conflict,
                              "your firm has adopted this shared plan already")
PROVIDER_NOT_APPROVED = refusal("provider_not_approved", RuleViolation,
                                "only a provider in the circuit (approved by the operators) "
                                "can join a network's circuit")
PROVIDER_OUTSIDE_TERRITORY = refusal("provider_outside_territory", RuleViolation,
                                     "this provider is outside the network's territory")
PROVIDER_NOT_IN_NETWORK = refusal("provider_not_in_network", RuleViolation,
                                  "approve the provider for the network's circuit first")
AGREED_PRICE_NOT_LOWER = refusal("agreed_price_not_lower", RuleViolation,
                                 "an agreed price is below the offering's own price of "
                                 "{price_cents}", price_cents=CENTS)
AGREEMENT_EXISTS = refusal("agreement_exists", Conflict, "this offering has an agreement "
                           "with the network already (proposed or in force)")
AGREEMENT_NOT_PROPOSED = refusal("agreement_not_proposed", Conflict,
                                 "this agreement is {state}: only a proposal can be accepted",
                                 state=TEXT)
AGREEMENT_CLOSED = refusal("agreement_closed", Conflict, "this agreement is {state} already",
                           state=TEXT)
PRICE_CHANGED = refusal("price_changed", RuleViolation,
                        "the price of this offering is now {price_cents}", price_cents=CENTS)


# -- reading marshmallow's messages back ---------------------------------------------------
@cache
def _templates() -> list[tuple[re.Pattern[str], Refusal]]:
    found = []
    for declared in CODES.values():
        if declared.raises is not InvalidInput:
            continue
        parts = re.split(r"{(\w+)}", declared.message)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>{declared.params[part].pattern})"
            for i, part in enumerate(parts))
        found.append((re.compile(f"^{pattern}$"), declared))
    return found


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def problem_of(message: Any) -> dict[str, Any]:
    """A field's message as its code and params; `invalid_value` when unknown."""
    if isinstance(message, Said):
        return message.problem()
    for pattern, declared in _templates():
        match = pattern.match(str(message))
        if match:
            params = {name: _number(value) if declared.params[name] in (COUNT, NUMBER) else value
                      for name, value in match.groupdict().items()}
            return {"code": declared.code, "params": params}
    if message == "Invalid input type.":  # marshmallow's Schema says it so
        return {"code": INVALID_TYPE.code, "params": {}}
    return {"code": INVALID_VALUE.code, "params": {}}


def _messages(value: Any) -> Iterable[Any]:
    """A field's messages, those of its items or nested fields included."""
    if isinstance(value, dict):
        for nested in value.values():
            yield from _messages(nested)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _messages(item)
    else:
        yield value


def validation_error(exc: Any) -> InvalidInput:
    """A marshmallow ValidationError as InvalidInput: `fields` as marshmallow says
    them, `problems` as codes (a list's or a nested schema's under its own field)."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    problems = {str(name): [problem_of(m) for m in _messages(value)]
                for name, value in messages.items()}
    return InvalidInput("invalid input: " + ", ".join(sorted(map(str, messages))),
                        json.loads(json.dumps(messages, default=str)), VALIDATION_ERROR.code,
                        {"params": {}, "problems": problems})


# -- performance-bonus offers and the employee's choice (benefits.offers) ------------------
BONUS_CAP_EXCEEDED = refusal(
    "bonus_cap_exceeded", RuleViolation,
    "past the year's cap of {cap_cents} per employee for performance bonuses with the tax "
    "relief (L. 208/2015 art. 1 c. 182): room left this year {room_cents}",
    cap_cents=CENTS, room_cents=CENTS)
BONUS_NOT_ELIGIBLE = refusal(
    "bonus_not_eligible", RuleViolation,
    "a performance bonus converts only for employees whose previous-year employment income "
    "was at most {income_max_cents} (L. 208/2015 art. 1 c. 186): not {employee_ids}",
    income_max_cents=CENTS, employee_ids=TEXTS)
BONUS_WELFARE_NOT_ELIGIBLE = refusal(
    "bonus_welfare_not_eligible", RuleViolation,
    "your previous-year employment income was over {income_max_cents}: this bonus is paid in "
    "cash only (L. 208/2015 art. 1 c. 186)", income_max_cents=CENTS)
BONUS_OVER_AMOUNT = refusal("bonus_over_amount", RuleViolation,
                            "the bonus is {amount_cents}: no more of it can be converted",
                            amount_cents=CENTS)
BONUS_OFFER_CLOSED = refusal("bonus_offer_closed", Conflict,
                             "the choice closed at midnight of {deadline}, Italian time",
                             deadline=DATE)
BONUS_OFFER_UNKNOWN = refusal("bonus_offer_unknown", NotFound, "no such bonus offer")
BONUS_DEADLINE_PAST = refusal("bonus_deadline_past", RuleViolation,
                              "the deadline {deadline} has passed", deadline=DATE)
BONUS_DEADLINE_OUTSIDE_YEAR = refusal(
    "bonus_deadline_outside_year", RuleViolation,
    "the bonus is paid the day after the deadline, within the plan's fiscal year "
    "{fiscal_year}: choose a deadline up to {last_day}", fiscal_year=YEAR, last_day=DATE)
BONUS_DEADLINE_AFTER_PLAN = refusal(
    "bonus_deadline_after_plan", RuleViolation,
    "the plan ends on {valid_until}: its credit is granted the day after the deadline, so the "
    "deadline must come before", valid_until=DATE)
BONUS_OVER_PLAN_BUDGET = refusal(
    "bonus_over_plan_budget", RuleViolation,
    "the plan's budget is {budget_cents} per employee: a bonus this large cannot be credited "
    "to it", budget_cents=CENTS)
NOBODY_ELIGIBLE = refusal("nobody_eligible", NotFound,
                          "nobody in this plan is eligible for a performance bonus")
BONUS_CHOICE_RECORD_REQUIRED = refusal(
    "bonus_choice_record_required", InvalidInput,
    "a bonus converts only by the employee's own choice (L. 208/2015 art. 1 c. 184): offer it "
    "to them, or say where their written choice is recorded")
