"""All models, imported here so that metadata and Alembic see every table."""

from server.models.base import TenantScoped, utcnow
from server.models.contact import Consent, Contact, OwnedVehicle, PurchaseLine, WorkshopLine
from server.models.event import Event
from server.models.intake import (
    ApiKey,
    ExternalRef,
    IdempotencyRecord,
    InboundMessage,
    RoutingOutbox,
    WidgetKey,
)
from server.models.lead import Action, Lead, LeadEntry
from server.models.planning import PlanningException, RoutingRule, Shift, VoAlert
from server.models.tenant import DealerGroup, GroupCounter, Notification, Site
from server.models.user import ApiToken, User, user_sites
from server.models.vehicle import StockVehicle

__all__ = [
    "Action", "ApiKey", "ApiToken", "Consent", "Contact", "DealerGroup", "Event", "ExternalRef", "GroupCounter",
    "IdempotencyRecord", "InboundMessage", "Lead", "LeadEntry", "Notification", "OwnedVehicle",
    "PlanningException", "PurchaseLine", "RoutingOutbox", "RoutingRule", "Shift", "Site",
    "StockVehicle", "TenantScoped", "User", "VoAlert", "WidgetKey", "WorkshopLine", "user_sites",
    "utcnow",
]
