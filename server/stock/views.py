"""/stock: search VN and VO, open a vehicle, propose it to a lead, add one by hand."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from server.auth.access import feature_required, roles_required
from server.customers.scope import CUSTOMER_ROLES
from server.extensions import db
from server.leads.visibility import visible_leads
from server.models import Lead, LeadEntry, Site, StockVehicle
from server.models.lead import OPEN_STATUSES
from server.models.vehicle import FUELS, STOCK_STATUSES
from server.realtime.events import record_event
from server.stock.forms import parse_vehicle

bp = Blueprint("stock", __name__, url_prefix="/stock")

STOCK_ROLES = CUSTOMER_ROLES
PAGE_SIZE = 20
# Each order ends on the id, so that a page never shows a row of another page (stable paging);
# every key is a column of the row, so the group's search index serves the filter and the sort.
SORTS = {
    "price": (StockVehicle.price_cents.asc(), StockVehicle.id.asc()),
    "price_desc": (StockVehicle.price_cents.desc(), StockVehicle.id.desc()),
    "arrival": (StockVehicle.arrived_at.desc(), StockVehicle.id.desc()),
}
UPDATE_AUDIENCE = ("manager", "admin")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip().replace(" ", "")
    return int(value) if value.isdigit() else None


def search_filters() -> dict:
    """The search as the form sent it, cleaned: unknown values are dropped, not errors."""
    kind = request.args.get("kind", "")
    fuel = request.args.get("fuel", "")
    status = request.args.get("status", "available")
    sort = request.args.get("sort", "price")
    return {
        "kind": kind if kind in ("VN", "VO") else "",
        "make": request.args.get("make", "").strip()[:64],
        "model": request.args.get("model", "").strip()[:64],
        "min_price": _int_arg("min_price"),
        "max_price": _int_arg("max_price"),
        "max_mileage": _int_arg("max_mileage"),
        "min_year": _int_arg("min_year"),
        "fuel": fuel if fuel in FUELS else "",
        "site_id": _int_arg("site_id"),
        "status": status if status in (*STOCK_STATUSES, "all") else "available",
        "sort": sort if sort in SORTS else "price",
    }


def stock_query(f: dict) -> Select:
    query = select(StockVehicle)
    if f["kind"]:
        query = query.where(StockVehicle.kind == f["kind"])
    if f["status"] != "all":
        query = query.where(StockVehicle.status == f["status"])
    if f["make"]:
        query = query.where(StockVehicle.make.ilike(f["make"]))
    if f["model"]:
        query = query.where(StockVehicle.model.ilike(f"%{f['model']}%"))
    if f["min_price"] is not None:
        query = query.where(StockVehicle.price_cents >= f["min_price"] * 100)
    if f["max_price"] is not None:
        query = query.where(StockVehicle.price_cents <= f["max_price"] * 100)
    if f["max_mileage"] is not None:
        query = query.where(StockVehicle.mileage_km <= f["max_mileage"])
    if f["min_year"] is not None:
        query = query.where(StockVehicle.year >= f["min_year"])
    if f["fuel"]:
        query = query.where(StockVehicle.fuel == f["fuel"])
    if f["site_id"] is not None:
        query = query.where(StockVehicle.site_id == f["site_id"])
    return query.order_by(*SORTS[f["sort"]])


def _sites() -> list[Site]:
    return list(db.session.execute(select(Site).order_by(Site.code)).scalars())


@bp.route("")
@roles_required(*STOCK_ROLES)
@feature_required("SM4", "SD4")
def search():
    filters = search_filters()
    page = max(_int_arg("page") or 1, 1)
    rows = list(db.session.execute(
        stock_query(filters).options(selectinload(StockVehicle.site)).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).scalars())
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "stock/search.html", vehicles=rows[:PAGE_SIZE], filters=filters, page=page, has_next=len(rows) > PAGE_SIZE,
        args=args, sites=_sites(), fuels=FUELS, statuses=STOCK_STATUSES,
    )


def _vehicle_or_404(vehicle_id: int) -> StockVehicle:
    vehicle = db.session.execute(
        select(StockVehicle).where(StockVehicle.id == vehicle_id).options(selectinload(StockVehicle.site))
    ).scalar_one_or_none()
    if vehicle is None:
        abort(404)
    return vehicle


def _open_leads() -> Select:
    return visible_leads(current_user).where(Lead.status.in_(OPEN_STATUSES))


@bp.route("/<int:vehicle_id>")
@roles_required(*STOCK_ROLES)
@feature_required("SM4", "SD4")
def vehicle(vehicle_id: int):
    found = _vehicle_or_404(vehicle_id)
    leads = list(db.session.execute(
        _open_leads().options(selectinload(Lead.contact)).order_by(Lead.received_at.desc(), Lead.id.desc()).limit(100)
    ).scalars())
    return render_template("stock/vehicle.html", vehicle=found, leads=leads)


@bp.route("/<int:vehicle_id>/propose", methods=["POST"])
@roles_required(*STOCK_ROLES)
@feature_required("SM4", "SD4")
def propose(vehicle_id: int):
    found = _vehicle_or_404(vehicle_id)
    lead_id = request.form.get("lead_id", "")
    lead = None
    if lead_id.isdigit():
        lead = db.session.execute(_open_leads().where(Lead.id == int(lead_id)).with_for_update()).scalar_one_or_none()
    if lead is None:
        abort(404)
    lead.stock_vehicle_id = found.id
    db.session.add(LeadEntry(
        lead=lead, user_id=current_user.id, kind="vehicle_proposed",
        body=_("Vehicle proposed: %(vehicle)s (%(ref)s)", vehicle=found.label, ref=found.stock_ref),
        data={"stock_vehicle_id": found.id, "stock_ref": found.stock_ref},
    ))
    record_event("lead.updated", lead, roles=UPDATE_AUDIENCE, user_ids=(lead.assignee_id, current_user.id))
    db.session.commit()
    flash(_("Vehicle proposed to %(name)s.", name=lead.contact.full_name), "success")
    return redirect(url_for("web.lead", lead_id=lead.id))


@bp.route("/new", methods=["GET", "POST"])
@roles_required("manager", "admin")
@feature_required("SM4", "SD4")
def new():
    # Managers add stock to their own sites; admins to any site of the group.
    sites = [s for s in _sites() if current_user.role == "admin" or s.id in current_user.site_ids]
    values: dict = {"kind": "VO"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values, errors = parse_vehicle(request.form, {s.id for s in sites})
        if not errors:
            vehicle = StockVehicle(**values)
            db.session.add(vehicle)
            db.session.commit()
            flash(_("Vehicle %(ref)s added to stock.", ref=vehicle.stock_ref), "success")
            return redirect(url_for("stock.vehicle", vehicle_id=vehicle.id))
    status = 422 if errors else 200
    return render_template("stock/new.html", values=values, errors=errors, sites=sites, fuels=FUELS), status

