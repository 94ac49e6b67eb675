"""What the API's refusals say to a person: one text per refusal code
(wecare_common.contract.refusals declares each, with its typed params), in the
person's language, the amounts, dates and categories of the params written
their way. The API's English `message` is never read: a page decides by the
code and the params, and rewording a service's message changes no page.

A page that knows more (the price of what was being bought) may say a code its
own way: `say(lang, exc, texts={code: N_("…")})`; its placeholders are still the
code's params, plus what the page passes in `extra`. Adding a code:
docs/api.md#adding-a-refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel.numbers import format_decimal
from wecare_common.contract import refusals as contract

from web import i18n
from web.client import ApiError
from web.views import N_, Errors, category_name

# One text per code, in English (the catalogue's msgid); %(name)s is the param.
TEXTS: dict[str, str] = {
    # generic: a refusal whose code says only its kind
    "validation_error": N_("Some of what you entered needs correcting."),
    "not_found": N_("What you are looking for does not exist, or is no longer available."),
    "forbidden": N_("This is not available to the account you signed in with."),
    "conflict": N_("This cannot be done now: something changed meanwhile. Reload the page "
                   "and look again."),
    "rule_violation": N_("This is not allowed by the rules of the plan or of the law."),
    "insufficient_funds": N_("There is not enough credit for this."),
    "idempotency_conflict": N_("Reload the page and try again."),
    "unauthenticated": N_("Sign in again to go on."),
    "rate_limited": N_("Too many attempts. Wait a few minutes and try again."),
    "too_many_proposals": N_("You have proposed several providers today. You can propose "
                             "more tomorrow."),
    "service_unavailable": N_("Please try again in a moment."),
    "service_timeout": N_("Please try again in a moment."),
    "unexpected_error": N_("Please try again in a moment."),
    "bad_request": N_("Reload the page and try again."),
    "method_not_allowed": N_("Reload the page and try again."),
    "request_entity_too_large": N_("The file is too large."),
    # a field's problems (marshmallow's and the contract's validators)
    "required": N_("Fill this in."),
    "null": N_("Fill this in."),
    "invalid_value": N_("Check this value."),
    "invalid_type": N_("Check this value."),
    "unknown_field": N_("This field is not expected here."),
    "not_a_string": N_("Enter text here."),
    "not_a_number": N_("Enter a number."),
    "not_an_integer": N_("Enter a whole number."),
    "number_too_large": N_("This number is too large."),
    "not_a_boolean": N_("Choose yes or no."),
    "not_a_date": N_("Enter a date, like 31/12/2026."),
    "not_a_datetime": N_("Enter a date and a time."),
    "not_an_aware_datetime": N_("Enter a date and a time."),
    "not_a_list": N_("Choose one or more."),
    "not_a_mapping": N_("Check this value."),
    "not_an_email": N_("Enter an email address, like name@example.com."),
    "not_a_url": N_("Enter a web address, like https://example.com."),
    "not_a_uuid": N_("Check this value."),
    "not_the_pattern": N_("Check this value: it is not written as expected."),
    "length_between": N_("Between %(min)s and %(max)s characters."),
    "length_exactly": N_("Exactly %(equal)s characters."),
    "too_short": N_("At least %(min)s characters."),
    "too_long": N_("At most %(max)s characters."),
    "at_least": N_("At least %(min)s."),
    "at_most": N_("At most %(max)s."),
    "between": N_("Between %(min)s and %(max)s."),
    "one_of": N_("Choose one of the options."),
    "not_a_cursor": N_("Go back to the first page and try again."),
    "out_of_range": N_("This is out of range."),
    "not_a_fiscal_code": N_("Enter a valid tax code: 16 letters and digits, as on the health "
                            "insurance card."),
    "not_a_vat_number": N_("Enter a valid VAT number: 11 digits."),
    "not_an_iban": N_("Enter a valid IBAN, like IT60X0542811101000000123456."),
    "not_a_tax_id": N_("Enter the VAT number (11 digits) or the tax code (16 characters)."),
    "not_a_province": N_("Enter the province's two letters, like BO."),
    "ends_before_start": N_("The end cannot come before the start."),
    "employees_or_all": N_("Choose the employees, or everyone."),
    "employee_listed_twice": N_("An employee is listed twice."),
    "reason_required": N_("Say why, so the employee knows."),
    "lat_and_lon": N_("Give both latitude and longitude."),
    "distance_needs_place": N_("To sort by distance, say where you are."),
    "max_below_min": N_("The highest price cannot be below the lowest."),
    # who may act, and until when
    "scope_missing": N_("This account is not linked to its company or provider yet. Try "
                        "again in a few minutes."),
    "sign_up_unfinished": N_("Your sign-up is not finished yet. Try again in a few minutes."),
    "provider_not_in_circuit": N_("This provider is not in the WeCare circuit now: it cannot "
                                  "redeem vouchers. What it redeemed before is still paid."),
    # performance-bonus offers and the employee's choice
    "bonus_cap_exceeded": N_("That is more than this year's limit for performance bonuses "
                             "with the tax relief allows (%(cap_cents)s a year): you have "
                             "%(room_cents)s left."),
    "bonus_not_eligible": N_("Only employees whose income last year was at most "
                             "%(income_max_cents)s can convert a performance bonus; not so for "
                             "some of those chosen."),
    "bonus_welfare_not_eligible": N_("Your income last year was over %(income_max_cents)s: "
                                     "this bonus can only be paid in cash."),
    "bonus_over_amount": N_("The bonus is %(amount_cents)s: you cannot convert more than "
                            "that."),
    "bonus_offer_closed": N_("The choice closed at midnight on %(deadline)s."),
    "bonus_offer_unknown": N_("This bonus offer does not exist, or is not yours to see."),
    "bonus_deadline_past": N_("The deadline %(deadline)s has passed: choose today or a later "
                              "day."),
    "bonus_deadline_outside_year": N_("The bonus is paid the day after the deadline, within "
                                      "the plan's year %(fiscal_year)s: choose a deadline up "
                                      "to %(last_day)s."),
    "bonus_deadline_after_plan": N_("The plan ends on %(valid_until)s, and the credit is "
                                    "granted the day after the deadline: choose an earlier "
                                    "deadline or another plan."),
    "bonus_over_plan_budget": N_("The plan's budget is %(budget_cents)s per employee: a bonus "
                                 "this large cannot be credited to it."),
    "nobody_eligible": N_("Nobody in this plan can be offered a performance bonus: no active "
                          "employee of its groups has an income last year up to 80.000,00 €."),
    "bonus_choice_record_required": N_("Say where each employee's written choice to convert "
                                       "is recorded, or offer the bonus for them to choose."),
    "price_or_discount": N_("Give either the agreed price or the discount, not both."),
    "territory_needed": N_("Name at least one province or municipality."),
    # networks of firms
    "network_tax_id_taken": N_("A network with this tax code is already registered."),
    "company_not_in_wecare": N_("No firm with this VAT number is in WeCare yet: bring it in "
                                "with its HR manager's details instead."),
    "already_a_member": N_("This firm is already a member of the network."),
    "already_invited": N_("This firm already has the network's invitation, waiting for its "
                          "answer."),
    "invitation_answered": N_("This invitation is no longer waiting for an answer."),
    "one_network_at_a_time": N_("A firm can be in one network at a time: leave the network "
                                "it is in first."),
    "not_a_member": N_("This firm is not a member of a network."),
    "shared_plan_withdrawn": N_("The network has withdrawn this shared plan."),
    "shared_plan_adopted": N_("Your firm has already adopted this shared plan."),
    "provider_not_approved": N_("Only a provider the operators have approved can join the "
                                "network's circuit."),
    "provider_outside_territory": N_("This provider is outside the network's territory."),
    "provider_not_in_network": N_("Approve the provider for the network's circuit first."),
    "agreed_price_not_lower": N_("The agreed price must be below the offering's own price of "
                                 "%(price_cents)s."),
    "agreement_exists": N_("This offering already has an agreement with the network, "
                           "proposed or in force."),
    "agreement_not_proposed": N_("Only a proposed agreement can be accepted."),
    "agreement_closed": N_("This agreement has already ended."),
    "price_changed": N_("The price has changed: it is now %(price_cents)s. Look at it again "
                        "before buying."),
    "account_disabled": N_("This account has been disabled. If you think it is a mistake, "
                           "ask your company's HR office or WeCare."),
    "access_ended": N_("Your access to WeCare ended on %(ended_on)s, after you left the "
                       "company."),
    "read_only_after_leaving": N_("You have left the company: until %(until)s you can read "
                                  "and download your statement, but not buy or ask for "
                                  "anything."),
    "not_yourself": N_("You cannot take away your own access: ask a colleague."),
    "employee_left": N_("You left the company on %(left_on)s: you can no longer buy vouchers "
                        "or ask for reimbursements."),
}


def text(lang: i18n.Lang, code: str, params: Mapping[str, Any] | None = None,
         texts: Mapping[str, str] | None = None, **extra: Any) -> str:
    """A refusal's code and params as a sentence in the person's language."""
    template = (texts or {}).get(code) or TEXTS.get(code) or TEXTS["unexpected_error"]
    declared = contract.CODES.get(code)
    values = {name: written(lang, declared.params[name] if declared and name in
                            declared.params else None, value)
              for name, value in (params or {}).items()}
    return lang.gettext(template, **values, **extra)


def say(lang: i18n.Lang, exc: ApiError, texts: Mapping[str, str] | None = None,
        **extra: Any) -> str:
    """The refusal as one sentence (a page's summary)."""
    return text(lang, exc.code, exc.params, texts, **extra)


def errors(lang: i18n.Lang, exc: ApiError, *, aliases: Mapping[str, str] | None = None,
           texts: Mapping[str, str] | None = None, summary: bool | None = None,
           **extra: Any) -> Errors:
    """The refusal as a form's errors: each field's problems beside the field (under
    the form's own name for it, `aliases`), and the refusal itself as the summary's
    message (always when `summary`; by default when it is not a plain validation
    error or no field was named)."""
    found = Errors(lang)
    for name, problems in exc.problems.items():
        found.add_text((aliases or {}).get(name, name), *[
            text(lang, p.get("code", ""), p.get("params"), texts, **extra) for p in problems])
    if summary or (summary is None and (exc.code != "validation_error" or not exc.problems)):
        found.message = say(lang, exc, texts, **extra)
    return found


def written(lang: i18n.Lang, kind: contract.Kind | None, value: Any) -> str:
    """A param's value as the person's language writes its kind."""
    if value is None:
        return "—"
    if kind is contract.CENTS and isinstance(value, int):
        return lang.money(value)
    if kind is contract.DATE:
        return lang.date(value) or str(value)
    if kind is contract.DATETIME:
        return lang.datetime(value) or str(value)
    if kind is contract.CATEGORY:
        return category_name(lang, str(value))
    if kind is contract.CATEGORIES and isinstance(value, list):
        return ", ".join(category_name(lang, str(v)) for v in value)
    if kind is contract.TEXTS and isinstance(value, list):
        return ", ".join(map(str, value))
    if kind is contract.NUMBER and isinstance(value, int | float):
        return format_decimal(value, locale=i18n.BABEL_LOCALE[lang.code])
    return str(value)
