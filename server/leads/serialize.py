"""The JSON form of a lead, shared by the API and the realtime events."""

from __future__ import annotations

from datetime import datetime

from server.models import Lead


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def lead_json(lead: Lead) -> dict:
    contact = lead.contact
    vehicle = dict(lead.vehicle or {})
    if lead.stock_vehicle is not None:
        vehicle["stock_ref"] = lead.stock_vehicle.stock_ref
    return {
        "id": str(lead.id),
        "kind": lead.kind,
        "source": lead.source,
        "channel": lead.channel,
        "external_id": lead.external_id,
        "status": lead.status,
        "stage": lead.stage,
        "interest": lead.interest,
        "score": lead.score,
        "site": lead.site.code if lead.site else None,
        "brand": lead.brand,
        "customer": {
            "id": str(contact.id),
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "phone": contact.phone,
            "postal_code": contact.postal_code,
            "city": contact.city,
        },
        "vehicle": vehicle,
        "vehicle_label": lead.vehicle_label,
        "trade_in": None if lead.trade_in is None else {
            "make": lead.trade_in.make, "model": lead.trade_in.model, "year": lead.trade_in.year,
            "mileage_km": lead.trade_in.mileage_km, "plate": lead.trade_in.plate,
        },
        "workshop": lead.workshop or None,
        "message": lead.message,
        "timeframe": lead.timeframe,
        "financing": lead.financing,
        "assignee": None if lead.assignee is None else {"id": str(lead.assignee.id), "name": lead.assignee.full_name},
        "received_at": _iso(lead.received_at),
        "assigned_at": _iso(lead.assigned_at),
        "displayed_at": _iso(lead.displayed_at),
        "acknowledged_at": _iso(lead.acknowledged_at),
        "first_contact_at": _iso(lead.first_contact_at),
        "first_contact_due_at": _iso(lead.first_contact_due_at),
        "closed_at": _iso(lead.closed_at),
        "close_reason": lead.close_reason,
    }


def lead_detail_json(lead: Lead, now: datetime) -> dict:
    """The lead as its page shows it: with why it scores what it scores (BX8) and what comes next."""
    from server.leads.score import compute
    from server.leads.workflow import next_action

    score = compute(lead, now)
    action = next_action(lead)
    return {
        **lead_json(lead),
        "score": score.value,
        "score_factors": [{"key": f.key, "points": f.points, "text": f.text} for f in score.top],
        "next_action": None if action is None else {
            "id": str(action.id), "type": action.type, "title": action.title, "due_at": _iso(action.due_at),
        },
        "needs_next_action": lead.is_open and action is None,
    }
