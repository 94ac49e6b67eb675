"""Italian identifiers checked with their check digits (python-stdnum)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields
from stdnum import iban
from stdnum.it import codicefiscale, iva

from wecare_common.contract import refusals


def fiscal_code(value: str) -> None:
    if not codicefiscale.is_valid(value):
        raise ValidationError(refusals.NOT_A_FISCAL_CODE.said())


def vat_number(value: str) -> None:
    if not iva.is_valid(value):
        raise ValidationError(refusals.NOT_A_VAT_NUMBER.said())


def iban_number(value: str) -> None:
    if not iban.is_valid(value):
        raise ValidationError(refusals.NOT_AN_IBAN.said())


class Upper(fields.String):
    """A string trimmed and upper-cased before it is validated."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().upper()
