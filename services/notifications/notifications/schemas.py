"""What the notifications service accepts: the payloads of the events it consumes
(checked on arrival against their types in wecare_common.contract.events) and a
person's preferences."""

from __future__ import annotations

from wecare_common.contract.events import (
    BONUS_OFFERED,
    BONUS_REMINDED,
    BONUS_SETTLED,
    COMPANY_CREATED,
    CREDITS_EXPIRING,
    CREDITS_GRANTED,
    EMPLOYEE_ENROLLED,
    PASSWORD_RESET_REQUESTED,
    PAYOUT_SENT,
    PROVIDER_APPROVED,
    PROVIDER_PROPOSED,
    PROVIDER_REGISTERED,
    PROVIDER_SUSPENDED,
    REIMBURSEMENT_APPROVED,
    REIMBURSEMENT_REJECTED,
    REIMBURSEMENT_REQUESTED,
    TOPUP_FAILED,
    TOPUP_SUCCEEDED,
    USER_INVITED,
    VOUCHER_CANCELLED,
    VOUCHER_EXPIRED,
    VOUCHER_ISSUED,
    VOUCHER_REDEEMED,
)
from wecare_common.contract.events import PAYLOADS as _ALL_PAYLOADS
from wecare_common.contract.notifications import PreferencesRequest

# The events notifications consumes, each with its payload type.
CONSUMED = (COMPANY_CREATED, EMPLOYEE_ENROLLED, PROVIDER_REGISTERED, PROVIDER_PROPOSED,
            PROVIDER_APPROVED, PROVIDER_SUSPENDED, CREDITS_GRANTED, CREDITS_EXPIRING,
            VOUCHER_ISSUED, VOUCHER_REDEEMED, VOUCHER_CANCELLED, VOUCHER_EXPIRED,
            TOPUP_SUCCEEDED, TOPUP_FAILED, REIMBURSEMENT_REQUESTED, REIMBURSEMENT_APPROVED,
            REIMBURSEMENT_REJECTED, USER_INVITED, PASSWORD_RESET_REQUESTED, PAYOUT_SENT,
            BONUS_OFFERED, BONUS_REMINDED, BONUS_SETTLED)
PAYLOADS = {kind: _ALL_PAYLOADS[kind] for kind in CONSUMED}

__all__ = ["CONSUMED", "PAYLOADS", "PreferencesRequest"]
