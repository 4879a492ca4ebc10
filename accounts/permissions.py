"""Role-based access for every API view.

A view says which roles may read (`read_roles`) and which may write (`write_roles`); the defaults
let every human role read and only admins write, and keep devices out: a device token may only
write readings, so the readings view is the one place that lists `Role.DEVICE`. Which *rows* a
caller sees is the selector's job (accounts.scope); out of scope is a 404, not a 403.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.choices import Role

HUMAN_ROLES = frozenset({Role.ADMIN, Role.REVIEWER, Role.CHIEF, Role.OPERATOR})
STAFF_ROLES = frozenset({Role.ADMIN, Role.REVIEWER})


def user_role(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return Role.ADMIN if user.is_superuser else user.role


class RolePermission(BasePermission):
    """Authenticated, active, and in the view's role set for the method (per action if given:
    `action_roles = {"assign": {...}}` on a viewset)."""

    message = "Your role may not do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        role = user_role(request.user)
        if role is None:
            return False
        if not hasattr(view, (request.method or "").lower()):
            return True  # a method the view lacks is a 405 for everyone, not a 403 for some roles
        action_roles = getattr(view, "action_roles", None) or {}
        action = getattr(view, "action", None)
        if action in action_roles:
            return role in action_roles[action]
        if request.method in SAFE_METHODS:
            return role in getattr(view, "read_roles", HUMAN_ROLES)
        return role in getattr(view, "write_roles", frozenset({Role.ADMIN}))
