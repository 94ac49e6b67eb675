"""Providers, offerings and the search: what the catalog service accepts, and the
gateway with it."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wecare_common import validators
from wecare_common.categories import CATEGORIES
from wecare_common.contract import notifications, refusals
from wecare_common.contract.periods import Period
from wecare_common.schemas import Cents
from wecare_common.validators import Upper

DELIVERY = ("on_site", "at_home", "online")
_ID_CURSOR = validate.Regexp(r"^[0-9]{1,18}$", error=refusals.NOT_A_CURSOR.message)


class ProviderApplication(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    vat_number = Upper(required=True, validate=validators.vat_number,
                       metadata={"format": "partita-iva"})
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)), required=True,
                             validate=validate.Length(min=1))
    address = fields.String(required=True, validate=validate.Length(min=1, max=300))
    city = fields.String(load_default="", validate=validate.Length(max=100))
    province = Upper(load_default="", validate=validate.Regexp(
        r"^([A-Z]{2})?$", error=refusals.NOT_A_PROVINCE.message))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    email = fields.Email(required=True)
    iban = Upper(required=True, validate=validators.iban_number, metadata={"format": "iban"})
    language = notifications.language(load_default=None, metadata={
        "description": "the language of every email to the provider (`it` or `en`); when "
                       "omitted, an application's is its Accept-Language's best match of "
                       "the two, else Italian, and an operator's enrolment's Italian"})


class Approval(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["approved", "suspended"]))
    commission_bps = fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=5000))
    agreement_start = fields.Date(load_default=None, allow_none=True)
    stripe_account_id = fields.String(load_default=None, allow_none=True,
                                      validate=validate.Regexp(r"^acct_[A-Za-z0-9]{6,}$"))


class OfferingRequest(Period):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    price_cents = Cents()
    delivery = fields.String(load_default="on_site", validate=validate.OneOf(DELIVERY))
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_until = fields.Date(load_default=None, allow_none=True)


class OfferingUpdate(Period):
    """A provider's change to an offering: any of these, nothing else."""

    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    price_cents = Cents(required=False)
    delivery = fields.String(validate=validate.OneOf(DELIVERY))
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)


class ByCategory(Schema):
    """A list narrowed to one welfare category (wecare_common.categories), or not: the
    catalogue's search, the circuit and a network's circuit filter alike, and refuse
    another word naming `category` (one_of, with the categories as its choices)."""

    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))


class SearchRequest(ByCategory):
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    lat = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90),
                       metadata={"description": "with lon"})
    lon = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180),
                       metadata={"description": "with lat"})
    radius_km = fields.Float(load_default=20.0, validate=validate.Range(min=0.1, max=300))
    min_price_cents = fields.Integer(load_default=None, validate=validate.Range(min=0))
    max_price_cents = fields.Integer(load_default=None, validate=validate.Range(min=0))
    provider_id = fields.String(load_default=None, validate=validate.Length(max=64))
    sort = fields.String(load_default=None,
                         validate=validate.OneOf(["distance", "price", "newest"]))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=100))

    @validates_schema
    def _point_and_sort(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data["lat"] is None) != (data["lon"] is None):
            raise ValidationError(refusals.LAT_AND_LON.said(), "lat")
        if data["sort"] == "distance" and data["lat"] is None:
            raise ValidationError(refusals.DISTANCE_NEEDS_PLACE.said(), "sort")
        low, high = data["min_price_cents"], data["max_price_cents"]
        if low is not None and high is not None and high < low:
            raise ValidationError(refusals.MAX_BELOW_MIN.said(), "max_price_cents")


class CircuitRequest(ByCategory):
    province = Upper(load_default=None, validate=validate.Regexp(
        r"^[A-Z]{2}$", error=refusals.NOT_A_PROVINCE.message))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=_ID_CURSOR)


class ProvidersRequest(Schema):
    status = fields.String(load_default="pending",
                           validate=validate.OneOf(["pending", "approved", "suspended"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=_ID_CURSOR)


class ProposalRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = fields.Email(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))


# -- networks' circuits: providers approved by a network, agreements (docs/domain.md#networks)
MAX_DISCOUNT_BPS = 9_900  # 99 %: an agreed price is never nothing


class NetworkProviderDecision(Schema):
    approved = fields.Boolean(required=True, metadata={
        "description": "true: in the network's circuit; false: out of it (its agreements "
                       "end)"})


class AgreementRequest(Period):
    """A network's agreement with a provider for one offering: a price, or a discount
    in basis points on the offering's price, for the employees of the network's
    members; valid from and until optional dates."""

    offering_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    price_cents = Cents(required=False, load_default=None, allow_none=True, metadata={
        "description": "the agreed price (or give discount_bps)"})
    discount_bps = fields.Integer(strict=True, load_default=None, allow_none=True,
                                  validate=validate.Range(min=1, max=MAX_DISCOUNT_BPS),
                                  metadata={"description": "the agreed discount, in basis "
                                            "points (1,000 = 10 %), or give price_cents"})
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_until = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _price_or_discount(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("price_cents") is None) == (data.get("discount_bps") is None):
            raise ValidationError(refusals.PRICE_OR_DISCOUNT.said(), "price_cents")


class AgreementAnswer(Schema):
    accept = fields.Boolean(required=True, metadata={
        "description": "true: accept the proposed agreement; false: decline it, or end "
                       "it when in force"})


class NetworkCircuitRequest(ByCategory):
    """A network's public circuit, all of it or one category's providers with their
    agreed offers of that category."""


class NetworkProvidersRequest(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=_ID_CURSOR)
