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
from marshmallow import Schema, ValidationError
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
    "not_a_language": N_("Choose Italian or English."),
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
    # vouchers
    "offering_unavailable": N_("This offer is no longer available."),
    "provider_out_of_circuit": N_("This provider does not take WeCare vouchers at the moment."),
    "no_wallet_yet": N_("Your credit is not ready yet: try again in a few minutes."),
    "plan_not_yours": N_("You have no credit on this plan: choose another."),
    "plan_not_valid_today": N_("This plan can be used from %(valid_from)s to %(valid_until)s: "
                               "choose another."),
    "plan_does_not_cover": N_("This plan covers %(covered)s, not %(category)s: choose "
                              "another."),
    "category_not_in_plan": N_("None of your plans covers %(category)s."),
    "fringe_limit_exceeded": N_("This would cross your tax-free limit for fringe benefits of "
                                "%(limit_cents)s in %(year)s: %(room_cents)s left this year."),
    "not_enough_credit": N_("Not enough credit: %(needed_cents)s are needed and you have "
                            "%(available_cents)s."),
    "voucher_unknown": N_("No voucher has this code. Check it and try again."),
    "voucher_for_another_provider": N_("This voucher is for another provider."),
    "voucher_already_redeemed": N_("This voucher was already used on %(redeemed_at)s."),
    "voucher_not_active": N_("This voucher can no longer be used."),
    "voucher_expired": N_("This voucher has expired."),
    # signed vouchers, accepted without a network (docs/offline.md)
    "voucher_signature_invalid": N_("This QR code is not a WeCare voucher, or it was "
                                    "altered: it cannot be redeemed."),
    "voucher_key_expired": N_("This QR code is too old (its signature was valid until "
                              "%(not_after)s): the employee opens the voucher again."),
    "offline_amount_over_limit": N_("A voucher of %(amount_cents)s is over the "
                                    "%(limit_cents)s you may accept without a network."),
    "offline_waiting_over_limit": N_("%(waiting_cents)s accepted without a network is over "
                                     "the %(limit_cents)s that may wait to be sent."),
    "offline_too_long": N_("Accepted at %(accepted_at)s and sent more than %(hours)s hours "
                           "later: too late to be paid."),
    "offline_clock_ahead": N_("Accepted at %(accepted_at)s, later than now: the phone's "
                              "clock is wrong."),
    "offline_after_expiry": N_("Accepted at %(accepted_at)s, after the voucher's last day "
                               "(%(last_day)s)."),
    "voucher_cancellation_pending": N_("The cancellation takes effect at "
                                       "%(takes_effect_at)s: until then a provider may still "
                                       "send it as accepted without a network."),
    # reimbursements
    "receipt_missing": N_("Attach the receipt."),
    "receipt_type_not_accepted": N_("A receipt is a PDF, JPEG or PNG file."),
    "receipt_too_large": N_("The receipt is too large: choose a smaller file."),
    "receipt_unreadable": N_("The receipt cannot be read: choose the file again."),
    "receipt_empty": N_("The receipt file is empty: choose the file again."),
    "receipt_not_its_type": N_("The receipt's content is not what its file type says: choose "
                               "the file again."),
    "not_reimbursable_in_cash": N_("%(category)s cannot be refunded in cash: buy a voucher "
                                   "instead."),
    "spent_in_the_future": N_("The date of payment cannot be in the future."),
    "beneficiary_not_in_family": N_("This must be your own tax code or that of a dependent "
                                    "child you declared to HR."),
    "employee_unknown": N_("This employee is not in the company, or has left."),
    "reimbursement_unknown": N_("This request does not exist."),
    "reimbursement_already_decided": N_("This request was already decided: reload the page."),
    # providers and offerings
    "provider_already_applied": N_("A provider with this partita IVA has already applied."),
    "provider_unknown": N_("This provider does not exist."),
    "commission_required": N_("State the commission to approve (0 is allowed)."),
    "category_not_in_agreement": N_("The agreement covers %(agreed)s, not %(category)s."),
    "offering_withdrawn": N_("This offering is withdrawn: it cannot change."),
    # accounts and requests
    "email_taken": N_("This email address already has an account."),
    "emails_taken": N_("%(count)s email addresses already have an account: %(emails)s."),
    "sign_up_refused": N_("This sign-up was refused: start again."),
    "request_in_progress": N_("The previous try is still running. Wait a moment and try "
                              "again."),
    "password_length": N_("Between %(min)s and %(max)s characters."),
    "not_an_id_list": N_("Check this value."),
    # companies, employees, the import
    "company_already_registered": N_("A company with this partita IVA is already registered."),
    "company_unknown": N_("This company does not exist."),
    "employee_already_enrolled": N_("This employee is already enrolled."),
    "already_enrolled": N_("already enrolled"),
    "employee_already_left": N_("This employee has already left."),
    "employee_already_active": N_("This employee has already set a password: they can reset "
                                  "it from the sign-in page."),
    "csv_empty": N_("The file is empty."),
    "csv_unreadable": N_("The file cannot be read as CSV: save it as “CSV UTF-8” and try "
                         "again."),
    "csv_not_utf8": N_("The file is not UTF-8 text: save it as “CSV UTF-8” and try again."),
    "csv_unknown_columns": N_("Columns this import does not know: %(columns)s."),
    "csv_too_many_rows": N_("At most %(max_rows)s rows a file."),
    "csv_no_rows": N_("The file has a header but no rows."),
    "csv_rows_invalid": N_("%(count)s rows cannot be imported: nothing was imported."),
    "repeats_row": N_("the same as line %(row)s"),
    # plans and grants
    "plan_unknown": N_("This plan does not exist."),
    "plan_ended": N_("This plan ended on %(valid_until)s."),
    "plan_change_refused": N_("This change would break a promise the plan made."),
    "not_changeable": N_("This cannot be changed."),
    "nothing_to_change": N_("Say what to change."),
    "end_before_today": N_("The end cannot come before today."),
    "end_too_soon": N_("Not before %(earliest)s: credit was granted on this plan, and "
                       "employees are told %(notice_days)s days before it ends."),
    "categories_only_added": N_("Categories can be added, not removed: %(kept)s stay in the "
                                "plan."),
    "budget_only_before_first_grant": N_("A budget can be set only before the plan's first "
                                         "grant: credit was already granted without one."),
    "budget_below_granted": N_("Not below %(granted_cents)s: an employee was already granted "
                               "that much on this plan."),
    "employees_not_found": N_("%(count)s of the chosen employees are not in the company."),
    "nobody_to_grant": N_("Nobody can receive this grant: no active employee is in the plan's "
                          "groups."),
    "grant_refused_meanwhile": N_("This grant was refused meanwhile: check and send it again."),
    "budget_exceeded": N_("%(count)s employees would go past the plan's budget of "
                          "%(budget_cents)s each."),
    "bonus_conversion_capped": N_("In %(year)s a performance bonus converts up to "
                                  "%(cap_cents)s per employee (%(basis)s): %(room_cents)s left "
                                  "this year."),
    "at_most_room": N_("At most %(room_cents)s: the room left this year."),
    # the ledger, funding, payments
    "not_whole_cents": N_("Enter an amount in euros and cents."),
    "nothing_to_transfer": N_("Enter an amount above zero."),
    "transfer_key_reused": N_("Reload the page and try again."),
    "account_short": N_("There is not enough money for this: %(missing_cents)s missing."),
    "fund_short": N_("The company fund is short for this grant: %(missing_cents)s missing. "
                     "Add funds first."),
    "topup_key_reused": N_("Reload the page and try again."),
    "topup_unknown": N_("This top-up does not exist."),
    "topup_already": N_("This top-up was already handled: reload the page."),
    "payment_mismatch": N_("The payment does not match the top-up."),
    "card_not_configured": N_("Paying by card is not available: use a bank transfer."),
    "webhooks_not_configured": N_("Please try again in a moment."),
    "stripe_signature_invalid": N_("Please try again in a moment."),
    "not_a_stripe_event": N_("Please try again in a moment."),
    "voucher_not_yours": N_("This voucher does not exist."),
    "hold_unknown": N_("This request does not exist."),
    "hold_already": N_("This request was already decided: reload the page."),
    "run_unknown": N_("This settlement run does not exist."),
    "run_has_no_sepa": N_("This run paid nobody by bank transfer: it has no SEPA file."),
    # notifications
    "preferences_not_yet": N_("Your preferences cannot be saved yet: try again in a minute."),
    "notification_unknown": N_("This notification does not exist."),
    # signing in and requests
    "wrong_credentials": N_("The email address or the password is not right."),
    "refresh_token_invalid": N_("Sign in again to go on."),
    "link_invalid": N_("This link has expired or was already used. Ask for a new one."),
    "account_gone": N_("This account no longer exists."),
    "token_required": N_("Sign in again to go on."),
    "token_invalid": N_("Sign in again to go on."),
    "session_ended": N_("Sign in again to go on."),
    "role_not_allowed": N_("This is not available to the account you signed in with."),
    "idempotency_key_required": N_("Reload the page and try again."),
    "nul_character": N_("Remove the invisible characters pasted into this text."),
    "body_too_large": N_("This is too large to send."),
    "not_multipart": N_("Reload the page and try again."),
    "not_json": N_("Reload the page and try again."),
    "not_a_json_object": N_("Reload the page and try again."),
    "message_not_parked": N_("This message is no longer parked: it was replayed already."),
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


def is_malformed(code: str) -> bool:
    """A field's value is not of its kind (missing, too long, not a date…), as opposed
    to a rule refusing a well-formed one: a form may then say how to fill the field in."""
    declared = contract.CODES.get(code)
    return declared is not None and declared.raises is contract.InvalidInput


def written(lang: i18n.Lang, kind: contract.Kind | None, value: Any) -> str:
    """A param's value as the person's language writes its kind."""
    name = kind.name if kind else ""
    if value is None:
        return "—"
    if name == "cents" and isinstance(value, int):
        return lang.money(value)
    if name == "date":
        return lang.date(value) or str(value)
    if name == "datetime":
        return lang.datetime(value) or str(value)
    if name == "category":
        return category_name(lang, str(value))
    if name == "categories" and isinstance(value, list):
        return ", ".join(category_name(lang, str(v)) for v in value)
    if name == "texts" and isinstance(value, list):
        return ", ".join(map(str, value))
    if name == "number" and isinstance(value, int | float):
        return format_decimal(value, locale=i18n.BABEL_LOCALE[lang.code])
    return str(value)


def refused_by_contract(schema: type[Schema], field: str, value: Any) -> bool:
    """Whether the contract refuses `value` for `schema`'s `field` (its kind and its
    validators, as the gateway and the service will check it): how a form checks a
    field early, for the person's comfort, without a rule of its own."""
    try:
        schema().fields[field].deserialize(value)
    except ValidationError:
        return True
    return False
