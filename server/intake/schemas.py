"""The lead as CONTRACT.md defines it, validated with marshmallow.

Everything optional but the kind, a name and a way to reach the person. Unknown keys are ignored
(real feeds carry more than we use; the raw payload is kept anyway). Text is stripped, and empty
strings count as absent.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validates_schema
from marshmallow.validate import Length, OneOf, Range

from server.intake.normalize import normalize_email, normalize_phone
from server.models.lead import LEAD_KINDS, TIMEFRAMES

MAX_TEXT = 5000


def _text(max_length: int = 200, **kwargs) -> fields.String:
    return fields.String(validate=Length(max=max_length), allow_none=True, **kwargs)


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _strip(self, data, **_kwargs):
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "":
                    continue
            cleaned[key] = value
        return cleaned


class CustomerSchema(_Base):
    first_name = _text(100)
    last_name = _text(100)
    email = _text(254)
    phone = _text(40)
    postal_code = _text(16)
    city = _text(100)
    language = fields.String(validate=OneOf(("fr", "en")), allow_none=True)

    @validates_schema
    def _reachable(self, data, **_kwargs):
        errors = {}
        if not data.get("first_name") and not data.get("last_name"):
            errors["last_name"] = ["A first name or a last name is required."]
        if not data.get("email") and not data.get("phone"):
            errors["phone"] = ["An e-mail or a phone number is required."]
        if data.get("email"):
            try:
                data["email"] = normalize_email(data["email"])
            except ValueError as exc:
                errors["email"] = [str(exc)]
        if data.get("phone"):
            try:
                data["phone"] = normalize_phone(data["phone"])
            except ValueError as exc:
                errors["phone"] = [str(exc)]
        if errors:
            raise ValidationError(errors)


class VehicleSchema(_Base):
    make = _text(64)
    model = _text(64)
    version = _text(128)
    year = fields.Integer(validate=Range(1900, 2100), allow_none=True)
    vin = _text(17)
    stock_ref = _text(32)
    price_eur = fields.Float(validate=Range(0, 10_000_000), allow_none=True)
    mileage_km = fields.Integer(validate=Range(0, 2_000_000), allow_none=True)
    fuel = _text(16)


class TradeInSchema(_Base):
    make = _text(64)
    model = _text(64)
    version = _text(128)
    year = fields.Integer(validate=Range(1900, 2100), allow_none=True)
    mileage_km = fields.Integer(validate=Range(0, 2_000_000), allow_none=True)
    plate = _text(16)
    vin = _text(17)
    fuel = _text(16)


class WorkshopSchema(_Base):
    service = _text(100)
    preferred_date = fields.Date(allow_none=True)
    plate = _text(16)


class ConsentSchema(_Base):
    contact = fields.Boolean(allow_none=True)
    marketing = fields.Boolean(allow_none=True)
    text_version = _text(32)
    page_url = _text(1000)


class LeadSchema(_Base):
    kind = fields.String(required=True, validate=OneOf(LEAD_KINDS))
    source = _text(64)
    site = _text(32)
    brand = _text(64)
    customer = fields.Nested(CustomerSchema, required=True)
    vehicle = fields.Nested(VehicleSchema, allow_none=True)
    trade_in = fields.Nested(TradeInSchema, allow_none=True)
    workshop = fields.Nested(WorkshopSchema, allow_none=True)
    message = _text(MAX_TEXT)
    timeframe = fields.String(validate=OneOf(TIMEFRAMES), allow_none=True)
    financing = fields.Boolean(allow_none=True)
    consent = fields.Nested(ConsentSchema, allow_none=True)
    external_id = _text(128)
    interest = fields.String(validate=OneOf(("hot", "warm", "cold")), allow_none=True)
    # Anti-bot signals sent by the widget: a honeypot input and the time spent on the form.
    hp = fields.String(allow_none=True)
    elapsed_ms = fields.Integer(allow_none=True)

    @pre_load
    def _kind_upper(self, data, **_kwargs):
        if isinstance(data, dict) and isinstance(data.get("kind"), str):
            data = {**data, "kind": data["kind"].strip().upper()}
        return data

    @post_load
    def _drop_empty(self, data, **_kwargs):
        return {key: value for key, value in data.items() if value not in (None, {}, "")}


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors -> CONTRACT's {"customer.phone": ["..."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, list):
        flat[prefix or "_schema"] = [str(m) for m in messages]
        return flat
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix and key != "_schema" else (prefix or key)
        if isinstance(value, dict):
            flat.update(flatten_errors(value, path))
        else:
            flat.setdefault(path, []).extend(str(m) for m in value)
    return flat


def load_lead(data) -> dict:
    """Validate one lead; raises ValidationError whose `.messages` are flattened paths."""
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["A lead must be a JSON object."]})
    try:
        return LeadSchema().load(data)
    except ValidationError as exc:
        raise ValidationError(flatten_errors(exc.messages)) from exc
