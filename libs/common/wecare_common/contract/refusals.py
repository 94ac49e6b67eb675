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
from dataclasses import dataclass, field, replace
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
from wecare_common.languages import LANGUAGES
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
    nullable: bool = False

    def or_none(self) -> Kind:
        """The same kind, where null means "not known" (written "—")."""
        return replace(self, nullable=True, openapi={**self.openapi, "nullable": True})

    def write(self, value: Any) -> str:
        return "—" if value is None else self.english(value)

    def check(self, code: str, name: str, value: Any) -> Any:
        if value is None and self.nullable:
            return None
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
                 fields: Mapping[str, Any] | None = None, **params: Any) -> DomainError:
        """The error to raise: `field` names the one field it is about (the
        refusal is then that field's problem too); `problems` gives each field's;
        `fields`, the English `fields` when they say more than the problems (a
        list of the employees refused)."""
        said = self.said(**params)
        problems = dict(problems or {})
        if field is not None:
            problems.setdefault(field, [said])
        english = {f: [str(s) for s in ss] for f, ss in problems.items()}
        return self.raises(str(said), {**english, **(fields or {})}, self.code, {
            "params": said.params,
            "problems": {f: [s.problem() for s in ss] for f, ss in problems.items()}})

    def english(self, params: Mapping[str, Any]) -> str:
        return self.message.format(**{name: self.params[name].write(value)
                                      for name, value in params.items()})

    def _checked(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if set(params) != set(self.params):
            raise TypeError(f"refusal {self.code} takes {sorted(self.params)}, "
                            f"not {sorted(params)}")
        return {name: self.params[name].check(self.code, name, value)
                for name, value in params.items()}


CODES: dict[str, Refusal] = {}
# The codes whose message is marshmallow's own wording, or a schema's `error=` text:
# problem_of reads these (and only these) back from marshmallow's messages.
READ_BACK: set[str] = set()


def refusal(code: str, raises: type[DomainError], message: str, **params: Kind) -> Refusal:
    if code in CODES:
        raise ValueError(f"refusal code {code} declared twice")
    if not set(re.findall(r"{(\w+)}", message)) <= set(params):
        raise ValueError(f"refusal {code}: its message names a parameter it does not declare")
    CODES[code] = declared = Refusal(code, raises, message, params)
    return declared


def answered_by_http(code: str, status: int, message: str) -> Refusal:
    """A refusal the gateway's HTTP server makes itself, with its own status."""
    CODES[code] = declared = replace(refusal(code, InvalidInput, message), status=status)
    return declared


def read_back(code: str, message: str, **params: Kind) -> Refusal:
    """A field's problem worded by marshmallow, or by a schema's `error=` text (which
    names this message): `problem_of` reads these back, and only these."""
    declared = refusal(code, InvalidInput, message, **params)
    READ_BACK.add(code)
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
UNEXPECTED_ERROR = refusal("unexpected_error", DomainError, "something went wrong")
# what the gateway's HTTP server says itself (an unknown path, a method, a body too large)
BAD_REQUEST = refusal("bad_request", InvalidInput, "the request is not one this API takes")
METHOD_NOT_ALLOWED = answered_by_http("method_not_allowed", 405,
                                      "this method is not allowed here")
REQUEST_ENTITY_TOO_LARGE = answered_by_http("request_entity_too_large", 413,
                                            "the body is too large")

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
REQUIRED = read_back("required", "Missing data for required field.")
NULL = read_back("null", "Field may not be null.")
INVALID_VALUE = read_back("invalid_value", "Invalid value.")
INVALID_TYPE = read_back("invalid_type", "Invalid type.")
UNKNOWN_FIELD = read_back("unknown_field", "Unknown field.")
NOT_A_STRING = read_back("not_a_string", "Not a valid string.")
NOT_A_NUMBER = read_back("not_a_number", "Not a valid number.")
NOT_AN_INTEGER = read_back("not_an_integer", "Not a valid integer.")
NUMBER_TOO_LARGE = read_back("number_too_large", "Number too large.")
NOT_A_BOOLEAN = read_back("not_a_boolean", "Not a valid boolean.")
NOT_A_DATE = read_back("not_a_date", "Not a valid date.")
NOT_A_DATETIME = read_back("not_a_datetime", "Not a valid datetime.")
NOT_AN_AWARE_DATETIME = read_back("not_an_aware_datetime",
                                "Not a valid aware datetime.")
NOT_A_LIST = read_back("not_a_list", "Not a valid list.")
NOT_A_MAPPING = read_back("not_a_mapping", "Not a valid mapping type.")
NOT_AN_EMAIL = read_back("not_an_email", "Not a valid email address.")
NOT_A_URL = read_back("not_a_url", "Not a valid URL.")
NOT_A_UUID = read_back("not_a_uuid", "Not a valid UUID.")
NOT_THE_PATTERN = read_back("not_the_pattern",
                          "String does not match expected pattern.")
LENGTH_BETWEEN = read_back("length_between",
                         "Length must be between {min} and {max}.", min=COUNT, max=COUNT)
LENGTH_EXACTLY = read_back("length_exactly", "Length must be {equal}.",
                         equal=COUNT)
TOO_SHORT = read_back("too_short", "Shorter than minimum length {min}.",
                    min=COUNT)
TOO_LONG = read_back("too_long", "Longer than maximum length {max}.", max=COUNT)
AT_LEAST = read_back("at_least", "Must be greater than or equal to {min}.",
                   min=NUMBER)
AT_MOST = read_back("at_most", "Must be less than or equal to {max}.", max=NUMBER)
BETWEEN = read_back("between",
                  "Must be greater than or equal to {min} and less than or equal to {max}.",
                  min=NUMBER, max=NUMBER)
ONE_OF = read_back("one_of", "Must be one of: {choices}.", choices=TEXT)

# -- a field's problems: the contract's own validators -------------------------------------
NOT_A_CURSOR = read_back("not_a_cursor", "not a cursor")
OUT_OF_RANGE = refusal("out_of_range", InvalidInput, "out of range")
NOT_A_FISCAL_CODE = refusal("not_a_fiscal_code", InvalidInput,
                            "not a valid codice fiscale (check character)")
NOT_A_VAT_NUMBER = refusal("not_a_vat_number", InvalidInput,
                           "not a valid partita IVA (check digit)")
NOT_AN_IBAN = refusal("not_an_iban", InvalidInput, "not a valid IBAN (check digits)")
NOT_A_TAX_ID = refusal("not_a_tax_id", InvalidInput,
                       "not a valid partita IVA or codice fiscale")
NOT_A_PROVINCE = read_back("not_a_province", "a two-letter province code")
NOT_A_LANGUAGE = read_back("not_a_language",
                           f"not a language WeCare writes in: {' or '.join(LANGUAGES)}")
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
        if declared.code not in READ_BACK:
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


def problems_of(messages: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """marshmallow's messages, field by field, as each field's problems (a list's or a
    nested schema's under its own field)."""
    return {str(name): [problem_of(m) for m in _messages(value)]
            for name, value in messages.items()}


def validation_error(exc: Any) -> InvalidInput:
    """A marshmallow ValidationError as InvalidInput: `fields` as marshmallow says
    them, `problems` as codes."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    problems = problems_of(messages)
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


# -- vouchers: buying, cancelling, redeeming (wallet) --------------------------------------
OFFERING_UNAVAILABLE = refusal("offering_unavailable", NotFound,
                               "no such offering: unknown or withdrawn")
PROVIDER_OUT_OF_CIRCUIT = refusal("provider_out_of_circuit", RuleViolation,
                                  "this provider is not in the circuit now")
NO_WALLET_YET = refusal("no_wallet_yet", NotFound, "no wallet for this employee yet")
PLAN_NOT_YOURS = refusal("plan_not_yours", NotFound, "you have no credit on that plan")
PLAN_NOT_VALID_TODAY = refusal("plan_not_valid_today", RuleViolation,
                               "that plan is valid from {valid_from} to {valid_until}, "
                               "not today", valid_from=DATE, valid_until=DATE)
PLAN_DOES_NOT_COVER = refusal("plan_does_not_cover", RuleViolation,
                              "that plan does not cover {category}: it covers {covered}",
                              category=CATEGORY, covered=CATEGORIES)
CATEGORY_NOT_IN_PLAN = refusal("category_not_in_plan", RuleViolation,
                               "none of your valid plans covers {category}",
                               category=CATEGORY)
FRINGE_LIMIT_EXCEEDED = refusal(
    "fringe_limit_exceeded", RuleViolation,
    "this would cross your {year} fringe-benefit limit of {limit_cents} (TUIR art. 51 c.3); "
    "room left this year: {room_cents}", year=YEAR, limit_cents=CENTS, room_cents=CENTS)
NOT_ENOUGH_CREDIT = refusal("not_enough_credit", InsufficientFunds,
                            "insufficient credit: {needed_cents} needed, {available_cents} "
                            "available on your best plan",
                            needed_cents=CENTS, available_cents=CENTS)
VOUCHER_UNKNOWN = refusal("voucher_unknown", NotFound, "no voucher has this code")
VOUCHER_FOR_ANOTHER_PROVIDER = refusal("voucher_for_another_provider", Forbidden,
                                       "this voucher is for another provider")
VOUCHER_ALREADY_REDEEMED = refusal("voucher_already_redeemed", Conflict,
                                   "this voucher was already redeemed on {redeemed_at}",
                                   redeemed_at=DATETIME.or_none())
VOUCHER_NOT_ACTIVE = refusal("voucher_not_active", Conflict, "this voucher is already {status}",
                             status=TEXT)
VOUCHER_EXPIRED = refusal("voucher_expired", Conflict, "this voucher has expired")
# signed vouchers and what a provider's phone accepted offline (docs/offline.md)
VOUCHER_SIGNATURE_INVALID = refusal(
    "voucher_signature_invalid", Forbidden,
    "this QR code is not a WeCare voucher, or was altered: it cannot be redeemed")
VOUCHER_KEY_EXPIRED = refusal(
    "voucher_key_expired", Forbidden,
    "this QR code was signed with a key valid only until {not_after}: the employee opens "
    "the voucher again for a new one", not_after=DATETIME)
OFFLINE_AMOUNT_OVER_LIMIT = refusal(
    "offline_amount_over_limit", RuleViolation,
    "a voucher of {amount_cents} is over the {limit_cents} you may accept without a network",
    amount_cents=CENTS, limit_cents=CENTS)
OFFLINE_WAITING_OVER_LIMIT = refusal(
    "offline_waiting_over_limit", RuleViolation,
    "{waiting_cents} accepted without a network is over the {limit_cents} that may wait "
    "to be sent", waiting_cents=CENTS, limit_cents=CENTS)
OFFLINE_TOO_LONG = refusal(
    "offline_too_long", RuleViolation,
    "accepted at {accepted_at} and sent more than {hours} hours later: too late to be paid",
    accepted_at=DATETIME, hours=COUNT)
OFFLINE_CLOCK_AHEAD = refusal(
    "offline_clock_ahead", RuleViolation,
    "accepted at {accepted_at}, which is later than now: the phone's clock is wrong",
    accepted_at=DATETIME)
OFFLINE_AFTER_EXPIRY = refusal(
    "offline_after_expiry", Conflict,
    "accepted at {accepted_at}, after the voucher's last day {last_day}",
    accepted_at=DATETIME, last_day=DATE)
VOUCHER_CANCELLATION_PENDING = refusal(
    "voucher_cancellation_pending", Conflict,
    "this voucher's cancellation takes effect at {takes_effect_at}, once no phone can "
    "still send it as accepted without a network", takes_effect_at=DATETIME)

# -- reimbursements: the request and HR's decision (benefits, gateway) ---------------------
RECEIPT_MISSING = refusal("receipt_missing", InvalidInput,
                          "attach the receipt as the file part `receipt`")
RECEIPT_TYPE_NOT_ACCEPTED = refusal("receipt_type_not_accepted", InvalidInput,
                                    "a receipt is a PDF, JPEG or PNG file, not {content_type}",
                                    content_type=TEXT)
RECEIPT_TOO_LARGE = refusal("receipt_too_large", InvalidInput,
                            "the receipt is larger than {max_bytes} bytes", max_bytes=COUNT)
RECEIPT_UNREADABLE = refusal("receipt_unreadable", InvalidInput, "the receipt is not readable")
RECEIPT_EMPTY = refusal("receipt_empty", InvalidInput, "the receipt is empty")
RECEIPT_NOT_ITS_TYPE = refusal("receipt_not_its_type", InvalidInput,
                               "the receipt is not a {content_type} file", content_type=TEXT)
NOT_REIMBURSABLE_IN_CASH = refusal(
    "not_reimbursable_in_cash", RuleViolation,
    "{category} expenses cannot be reimbursed in cash ({legal_basis}); use a voucher",
    category=CATEGORY, legal_basis=TEXT)
SPENT_IN_THE_FUTURE = refusal("spent_in_the_future", InvalidInput,
                              "the expense date is in the future")
BENEFICIARY_NOT_IN_FAMILY = refusal("beneficiary_not_in_family", RuleViolation,
                                    "the beneficiary must be you or a dependant you declared")
EMPLOYEE_UNKNOWN = refusal("employee_unknown", NotFound, "no such active employee")
REIMBURSEMENT_UNKNOWN = refusal("reimbursement_unknown", NotFound, "no such reimbursement")
REIMBURSEMENT_ALREADY_DECIDED = refusal("reimbursement_already_decided", Conflict,
                                        "this reimbursement was already {status}", status=TEXT)

# -- providers and offerings (catalog) -----------------------------------------------------
PROVIDER_ALREADY_APPLIED = refusal("provider_already_applied", Conflict,
                                   "a provider with this VAT number has already applied")
PROVIDER_UNKNOWN = refusal("provider_unknown", NotFound, "no such provider")
COMMISSION_REQUIRED = refusal("commission_required", RuleViolation,
                              "an approval states the commission (0 allowed)")
CATEGORY_NOT_IN_AGREEMENT = refusal(
    "category_not_in_agreement", RuleViolation,
    "this provider's agreement does not cover {category}: it covers {agreed}",
    category=CATEGORY, agreed=CATEGORIES)
OFFERING_WITHDRAWN = refusal("offering_withdrawn", Conflict, "this offering is withdrawn")

# -- accounts and requests (gateway) -------------------------------------------------------
EMAIL_TAKEN = refusal("email_taken", Conflict, "this email address already has an account")
EMAILS_TAKEN = refusal("emails_taken", Conflict,
                       "{count} email(s) already have an account: {emails}",
                       count=COUNT, emails=TEXTS)
SIGN_UP_REFUSED = refusal("sign_up_refused", Conflict, "this sign-up was refused meanwhile")
REQUEST_IN_PROGRESS = refusal("request_in_progress", Conflict,
                              "a request with this Idempotency-Key is still in progress")
PASSWORD_LENGTH = read_back("password_length", "between {min} and {max} characters",
                            min=COUNT, max=COUNT)
NOT_AN_ID_LIST = read_back("not_an_id_list", "up to 200 ids, commas")

# -- companies, employees and the CSV import (benefits, gateway) ---------------------------
COMPANY_ALREADY_REGISTERED = refusal("company_already_registered", Conflict,
                                     "a company with this VAT number is already registered")
COMPANY_UNKNOWN = refusal("company_unknown", NotFound, "no such company")
EMPLOYEE_ALREADY_ENROLLED = refusal("employee_already_enrolled", Conflict,
                                    "an employee with this {what} is already enrolled",
                                    what=TEXT)
ALREADY_ENROLLED = refusal("already_enrolled", Conflict, "already enrolled")
EMPLOYEE_ALREADY_LEFT = refusal("employee_already_left", Conflict,
                                "this employee has already left")
EMPLOYEE_ALREADY_ACTIVE = refusal("employee_already_active", Conflict,
                                  "this employee has already set a password (they can reset "
                                  "it from the sign-in page)")
CSV_EMPTY = refusal("csv_empty", InvalidInput, "the file is empty")
CSV_UNREADABLE = refusal("csv_unreadable", InvalidInput, "the file is not readable as CSV")
CSV_NOT_UTF8 = refusal("csv_not_utf8", InvalidInput, "the file is not UTF-8 text")
CSV_UNKNOWN_COLUMNS = refusal("csv_unknown_columns", InvalidInput,
                              "unknown column(s): {columns}", columns=TEXTS)
CSV_TOO_MANY_ROWS = refusal("csv_too_many_rows", InvalidInput, "at most {max_rows} rows a file",
                            max_rows=COUNT)
CSV_NO_ROWS = refusal("csv_no_rows", InvalidInput, "the file has a header but no rows")
CSV_ROWS_INVALID = refusal("csv_rows_invalid", InvalidInput,
                           "{count} row(s) cannot be imported; nothing was imported",
                           count=COUNT)
REPEATS_ROW = refusal("repeats_row", InvalidInput, "repeats row {row}", row=COUNT)

# -- plans and grants (benefits, wallet) ---------------------------------------------------
PLAN_UNKNOWN = refusal("plan_unknown", NotFound, "no such plan")
PLAN_ENDED = refusal("plan_ended", RuleViolation,
                     "this plan ended on {valid_until}: it can no longer be changed or granted "
                     "on", valid_until=DATE)
PLAN_CHANGE_REFUSED = refusal("plan_change_refused", RuleViolation,
                              "this change would break a promise the plan made")
NOT_CHANGEABLE = refusal("not_changeable", InvalidInput, "cannot be changed")
NOTHING_TO_CHANGE = refusal("nothing_to_change", InvalidInput, "say what to change")
END_BEFORE_TODAY = refusal("end_before_today", RuleViolation, "must not be before today")
END_TOO_SOON = refusal("end_too_soon", RuleViolation,
                       "not before {earliest}: credit was granted on this plan and employees "
                       "are told {notice_days} days before it ends",
                       earliest=DATE, notice_days=COUNT)
CATEGORIES_ONLY_ADDED = refusal("categories_only_added", RuleViolation,
                                "categories can be added, not removed: {kept} stay in the plan",
                                kept=CATEGORIES)
BUDGET_ONLY_BEFORE_FIRST_GRANT = refusal(
    "budget_only_before_first_grant", RuleViolation,
    "a budget can be set only before the plan's first grant")
BUDGET_BELOW_GRANTED = refusal("budget_below_granted", RuleViolation,
                               "not below {granted_cents}: already granted to an employee on "
                               "this plan", granted_cents=CENTS)
EMPLOYEES_NOT_FOUND = refusal("employees_not_found", NotFound,
                              "{count} employee(s) not found in this company",
                              count=COUNT, employee_ids=TEXTS)
NOBODY_TO_GRANT = refusal("nobody_to_grant", NotFound, "no eligible employees in this plan")
GRANT_REFUSED_MEANWHILE = refusal("grant_refused_meanwhile", Conflict,
                                  "this grant was refused meanwhile")
BUDGET_EXCEEDED = refusal("budget_exceeded", RuleViolation,
                          "{count} employee(s) would exceed the plan's budget of "
                          "{budget_cents} each", count=COUNT, budget_cents=CENTS,
                          employee_ids=TEXTS)
BONUS_CONVERSION_CAPPED = refusal(
    "bonus_conversion_capped", RuleViolation,
    # room_cents: the least room of the `count` employees it would take past the cap
    "the {year} performance-bonus conversion is capped at {cap_cents} per employee ({basis}); "
    "room left this year: {room_cents}", year=YEAR, cap_cents=CENTS, basis=TEXT,
    room_cents=CENTS, count=COUNT, employee_ids=TEXTS)
AT_MOST_ROOM = refusal("at_most_room", RuleViolation,
                       "at most {room_cents}: the room left this year", room_cents=CENTS)

# -- the ledger, funding and payments (wallet) ---------------------------------------------
NOT_WHOLE_CENTS = refusal("not_whole_cents", InvalidInput, "amounts are whole cents")
NOTHING_TO_TRANSFER = refusal("nothing_to_transfer", InvalidInput, "nothing to transfer")
TRANSFER_KEY_REUSED = refusal("transfer_key_reused", IdempotencyConflict,
                              "this idempotency key was already used for a different transfer")
ACCOUNT_SHORT = refusal("account_short", InsufficientFunds,
                        "{account} holds {held_cents}; {needed_cents} are needed, "
                        "{missing_cents} missing", account=TEXT, held_cents=CENTS,
                        needed_cents=CENTS, missing_cents=CENTS)
FUND_SHORT = refusal("fund_short", InsufficientFunds,
                     "the company fund is short for this grant: {missing_cents} missing",
                     missing_cents=CENTS)
TOPUP_KEY_REUSED = refusal("topup_key_reused", Conflict,
                           "this idempotency key was already used for another top-up")
TOPUP_UNKNOWN = refusal("topup_unknown", NotFound, "no such {method} top-up", method=TEXT)
TOPUP_ALREADY = refusal("topup_already", Conflict, "this top-up is already {status}",
                        status=TEXT)
PAYMENT_MISMATCH = refusal("payment_mismatch", RuleViolation,
                           "the payment does not match the top-up")
CARD_NOT_CONFIGURED = refusal("card_not_configured", RuleViolation,
                              "card top-ups are not available: no Stripe key is configured; "
                              "use method bank_transfer")
WEBHOOKS_NOT_CONFIGURED = refusal("webhooks_not_configured", RuleViolation,
                                  "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)")
STRIPE_SIGNATURE_INVALID = refusal("stripe_signature_invalid", InvalidInput,
                                   "the Stripe signature does not verify (or is stale)")
NOT_A_STRIPE_EVENT = refusal("not_a_stripe_event", InvalidInput,
                             "the webhook body is not a Stripe event")
VOUCHER_NOT_YOURS = refusal("voucher_not_yours", NotFound, "no such voucher")
HOLD_UNKNOWN = refusal("hold_unknown", NotFound, "no credit is held for this reimbursement")
HOLD_ALREADY = refusal("hold_already", Conflict, "this reimbursement was {status}",
                       status=TEXT)
RUN_UNKNOWN = refusal("run_unknown", NotFound, "no such settlement run")
RUN_HAS_NO_SEPA = refusal("run_has_no_sepa", NotFound,
                          "this run paid nobody by SEPA: it has no file")

# -- notifications -------------------------------------------------------------------------
PREFERENCES_NOT_YET = refusal("preferences_not_yet", NotFound,
                              "no preferences yet for this person")
NOTIFICATION_UNKNOWN = refusal("notification_unknown", NotFound, "no such notification")

# -- signing in and requests (gateway) -----------------------------------------------------
WRONG_CREDENTIALS = refusal("wrong_credentials", errors.Unauthenticated,
                            "wrong email or password")
REFRESH_TOKEN_INVALID = refusal("refresh_token_invalid", errors.Unauthenticated,
                                "this refresh token is not valid")
LINK_INVALID = refusal("link_invalid", errors.Unauthenticated,
                       "this link is not valid (used, expired or unknown)")
ACCOUNT_GONE = refusal("account_gone", errors.Unauthenticated, "this account no longer exists")
TOKEN_REQUIRED = refusal("token_required", errors.Unauthenticated, "a bearer token is required")
TOKEN_INVALID = refusal("token_invalid", errors.Unauthenticated, "invalid token: {reason}",
                        reason=TEXT)
SESSION_ENDED = refusal("session_ended", errors.Unauthenticated, "this session has ended")
ROLE_NOT_ALLOWED = refusal("role_not_allowed", Forbidden, "the {role} role may not do this",
                           role=TEXT)
IDEMPOTENCY_KEY_REQUIRED = refusal("idempotency_key_required", InvalidInput,
                                   "this request moves money: send an Idempotency-Key header "
                                   "(1 to 200 characters)")
NUL_CHARACTER = refusal("nul_character", InvalidInput,
                        "text may not contain NUL characters nor unpaired surrogates")
BODY_TOO_LARGE = refusal("body_too_large", InvalidInput, "the body is larger than {max_bytes} "
                         "bytes", max_bytes=COUNT)
NOT_MULTIPART = refusal("not_multipart", InvalidInput, "send this as multipart/form-data")
NOT_JSON = refusal("not_json", InvalidInput, "the body is not valid JSON")
NOT_A_JSON_OBJECT = refusal("not_a_json_object", InvalidInput, "the body must be a JSON object")
MESSAGE_NOT_PARKED = refusal("message_not_parked", NotFound,
                             "no such message is parked (replayed already?)")
