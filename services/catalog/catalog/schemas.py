"""What the catalog accepts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from wecare_common.categories import CATEGORIES
from wecare_common.schemas import Cents
from wecare_common.validators import iban_number as _iban
from wecare_common.validators import vat_number as _vat


class ProviderApplication(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    vat_number = fields.String(required=True, validate=_vat)
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)), required=True,
                             validate=validate.Length(min=1))
    address = fields.String(required=True, validate=validate.Length(min=1, max=300))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    email = fields.Email(required=True)
    iban = fields.String(required=True, validate=_iban)


class Approval(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["approved", "suspended"]))
    commission_bps = fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=5000))
    agreement_start = fields.Date(load_default=None, allow_none=True)
    stripe_account_id = fields.String(load_default=None, allow_none=True,
                                      validate=validate.Regexp(r"^acct_[A-Za-z0-9]{6,}$"))


class OfferingRequest(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    price_cents = Cents()


class SearchRequest(Schema):
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
