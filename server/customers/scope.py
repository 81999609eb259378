"""Which customers a user may open: the same rule for the search, the file and the alerts.

A seller sees the customers of the leads they can see (their own work); the cell, managers and
admins see every customer of their group (the group itself is enforced by `server.tenancy`).
"""

from __future__ import annotations

from sqlalchemy import Select, select

from server.leads.visibility import visible_leads
from server.models import Contact, Lead, User

CUSTOMER_ROLES = ("seller", "cell", "manager", "admin")


def visible_customers(user: User) -> Select:
    query = select(Contact)
    if user.role in ("cell", "manager", "admin"):
        return query
    if user.role == "seller":
        return query.where(Contact.id.in_(visible_leads(user).with_only_columns(Lead.contact_id)))
    return query.where(False)
