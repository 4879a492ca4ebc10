"""What a caller may see: every read is narrowed through here (ARCHITECTURE style 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from accounts.choices import Role
from core.divisions import division_prefix, is_division_code

M = TypeVar("M", bound=Model)


@dataclass(frozen=True, slots=True)
class Scope:
    """The caller's reach. `everything` for admins; otherwise the significant prefix of the
    jurisdiction's division code, or nothing at all when the account has no jurisdiction."""

    user_id: int | None
    role: str | None
    everything: bool = False
    prefix: str | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.prefix

    def q(self, code_lookup: str) -> Q:
        """A Q on a division-code path (e.g. "division__code") that keeps rows in scope."""
        if self.everything:
            return Q()
        if not self.prefix:
            return Q(pk__in=[])
        return Q(**{f"{code_lookup}__startswith": self.prefix})

    def filter(self, queryset: QuerySet[M], code_lookup: str) -> QuerySet[M]:
        if self.everything:
            return queryset
        if not self.prefix:
            return queryset.none()
        return queryset.filter(self.q(code_lookup))

    def covers_code(self, code: str) -> bool:
        return self.everything or bool(self.prefix and code.startswith(self.prefix))


NO_SCOPE = Scope(user_id=None, role=None)

# The scope of the system itself (Celery tasks, management commands, the demo loader, the admin
# site): everything, named where it is used, since a service's `scope` is required and None is not
# "everything" (core/README.md).
SYSTEM_SCOPE = Scope(user_id=None, role=Role.ADMIN, everything=True)


def scope_for(user: Any) -> Scope:
    """The Scope of a (possibly anonymous) user."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_SCOPE
    if user.is_superuser or user.role == Role.ADMIN:
        return Scope(user_id=user.pk, role=Role.ADMIN, everything=True)
    code = user.jurisdiction or ""
    prefix = division_prefix(code) if is_division_code(code) else None
    return Scope(user_id=user.pk, role=user.role, prefix=prefix)
