"""Which leads a user may see, by role and site, inside their group.

The group itself is enforced by `server.tenancy`; this adds the role rules on top:
admins and the cell see the whole group, managers their sites, sellers what is assigned to
them, call-center agents what they entered.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from server.models import Lead, User


def visible_leads(user: User) -> Select:
    query = select(Lead)
    if user.role in ("admin", "cell"):
        return query
    if user.role == "manager":
        return query.where(Lead.site_id.in_(user.site_ids))
    if user.role == "seller":
        return query.where(or_(Lead.assignee_id == user.id, Lead.created_by_id == user.id))
    if user.role == "call_center":
        return query.where(Lead.created_by_id == user.id)
    return query.where(False)


def can_see_lead(user: User, lead: Lead) -> bool:
    if lead.group_id != user.group_id:
        return False
    if user.role in ("admin", "cell"):
        return True
    if user.role == "manager":
        return lead.site_id in user.site_ids
    if user.role == "seller":
        return user.id in (lead.assignee_id, lead.created_by_id)
    if user.role == "call_center":
        return lead.created_by_id == user.id
    return False
