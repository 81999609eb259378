"""The direct-entry form (CE2, CE3, SM3, SM5): what a seller types in the showroom or at a fair.

The form checks only shapes (lengths, numbers, dates); what makes a lead valid is decided by the
one intake validator (`server.intake.schemas.load_lead`), whose errors are mapped back here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from server.web.labels import INTEREST_LABELS, KIND_LABELS, TIMEFRAME_LABELS

ENTRY_SOURCES = {
    "showroom": _l("Showroom"),
    "phone": _l("Phone"),
    "salon": _l("Trade fair"),
    "other": _l("Other"),
}
# The kind buttons read as the trade says it (VN, VO, Atelier), with a word underneath.
KIND_TITLES = {"VN": "VN", "VO": "VO", "ATELIER": _l("Workshop")}
KIND_CAPTIONS = {"VN": _l("Brand new"), "VO": _l("Second-hand"), "ATELIER": _l("Servicing")}
FINANCING_CHOICES = {"": _l("Not known"), "yes": _l("Yes"), "no": _l("No")}
# Suggestions only (a datalist): the workshop's own words are accepted as typed.
WORKSHOP_SERVICES = (
    _l("Service (révision)"), _l("Tyres"), _l("Brakes"), _l("Bodywork"), _l("Roadworthiness test"),
    _l("Air conditioning"), _l("Diagnosis"),
)


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _text(label, max_length: int) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=max_length)], filters=[_strip])


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LeadEntryForm(FlaskForm):
    kind = RadioField(_l("Request"), choices=_choices(KIND_LABELS), default="VN")
    source = RadioField(_l("Customer came through"), choices=_choices(ENTRY_SOURCES), default="showroom")

    first_name = _text(_l("First name"), 100)
    last_name = _text(_l("Last name"), 100)
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)], filters=[_strip])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)], filters=[_strip])
    postal_code = _text(_l("Postal code"), 16)

    stock_ref = _text(_l("Vehicle in stock"), 64)
    make = _text(_l("Make"), 64)
    model = _text(_l("Model"), 64)

    service = _text(_l("Service"), 100)
    preferred_date = DateField(_l("Preferred date"), validators=[Optional()])

    interest = RadioField(_l("Interest"), choices=_choices(INTEREST_LABELS), default="warm")
    timeframe = SelectField(_l("Timeframe"), choices=_choices({"": "—", **TIMEFRAME_LABELS}), default="")
    financing = RadioField(_l("Financing"), choices=_choices(FINANCING_CHOICES), default="")
    message = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)], filters=[_strip])

    trade_make = _text(_l("Make"), 64)
    trade_model = _text(_l("Model"), 64)
    trade_year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(1900, 2100)])
    trade_mileage = IntegerField(_l("Mileage (km)"), validators=[Optional(), NumberRange(0, 2_000_000)])
    trade_plate = _text(_l("Plate"), 16)

    # Errors of the lead as a whole, or of a path no field shows (a site code...).
    extra_errors: tuple[str, ...] = ()

    TRADE_IN_FIELDS = ("trade_make", "trade_model", "trade_year", "trade_mileage", "trade_plate")

    def has_trade_in(self) -> bool:
        """Open the collapsed trade-in section when it holds something or an error."""
        return any(getattr(self, name).data not in (None, "") or getattr(self, name).errors
                   for name in self.TRADE_IN_FIELDS)


# Where each path of the intake validator's errors shows on the form.
FIELD_OF_PATH = {
    "kind": "kind",
    "customer.first_name": "first_name",
    "customer.last_name": "last_name",
    "customer.phone": "phone",
    "customer.email": "email",
    "customer.postal_code": "postal_code",
    "vehicle.stock_ref": "stock_ref",
    "vehicle.make": "make",
    "vehicle.model": "model",
    "workshop.service": "service",
    "workshop.preferred_date": "preferred_date",
    "workshop.plate": "trade_plate",
    "trade_in.make": "trade_make",
    "trade_in.model": "trade_model",
    "trade_in.year": "trade_year",
    "trade_in.mileage_km": "trade_mileage",
    "trade_in.plate": "trade_plate",
    "message": "message",
    "timeframe": "timeframe",
    "financing": "financing",
    "interest": "interest",
}


def lead_data(form: LeadEntryForm) -> dict:
    """The form as a CONTRACT lead, before validation (empty values are dropped by the validator)."""
    kind = form.kind.data
    data: dict = {
        "kind": kind,
        "customer": {name: getattr(form, name).data for name in
                     ("first_name", "last_name", "phone", "email", "postal_code")},
        "message": form.message.data,
        "interest": form.interest.data,
        "timeframe": form.timeframe.data or None,
        "financing": {"yes": True, "no": False}.get(form.financing.data or ""),
    }
    # What the screen hid for this kind is not sent: a workshop request has no vehicle of interest.
    if kind == "ATELIER":
        data["workshop"] = {
            "service": form.service.data,
            "preferred_date": form.preferred_date.data.isoformat() if form.preferred_date.data else None,
            "plate": form.trade_plate.data,
        }
    else:
        data["vehicle"] = {"stock_ref": form.stock_ref.data, "make": form.make.data, "model": form.model.data}
    trade_in = {"make": form.trade_make.data, "model": form.trade_model.data, "year": form.trade_year.data,
                "mileage_km": form.trade_mileage.data, "plate": form.trade_plate.data}
    if any(value not in (None, "") for value in trade_in.values()):
        data["trade_in"] = trade_in
    return data
