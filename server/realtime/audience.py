"""Who may see an event: the same rule for the live push (rooms) and the catch-up endpoint."""

from __future__ import annotations

from server.models import Event, User

# Roles whose members see an event only for the sites they belong to.
SITE_SCOPED_ROLES = frozenset({"manager"})


def rooms_for(user: User) -> list[str]:
    """Every room a user belongs to; clients never name a room themselves."""
    rooms = [f"user:{user.id}", f"group:{user.group_id}:{user.role}"]
    rooms += [f"group:{user.group_id}:site:{site.id}:{user.role}" for site in user.sites]
    return rooms


def rooms_of(event: Event) -> list[str]:
    rooms = [f"user:{user_id}" for user_id in event.user_ids or []]
    for role in event.roles or []:
        if role in SITE_SCOPED_ROLES:
            if event.site_id is not None:
                rooms.append(f"group:{event.group_id}:site:{event.site_id}:{role}")
        else:
            rooms.append(f"group:{event.group_id}:{role}")
    return rooms


def sees(user: User, event: Event, site_ids: set[int]) -> bool:
    """True when the live push would have reached this user (rooms_for ∩ rooms_of)."""
    if event.group_id != user.group_id:
        return False
    if user.id in (event.user_ids or []):
        return True
    if user.role not in (event.roles or []):
        return False
    return user.role not in SITE_SCOPED_ROLES or event.site_id in site_ids
