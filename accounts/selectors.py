"""Reads of the accounts app. Other apps read accounts through here, never `User.objects` directly."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import ApiToken, User
from accounts.scope import Scope


def user_list(*, scope: Scope) -> QuerySet[User]:
    """The accounts a caller may see: an administrator all; anyone else the accounts whose
    jurisdiction lies inside their own, and themselves."""
    if scope.everything:
        return User.objects.all()
    own = Q(pk=scope.user_id) if scope.user_id is not None else Q(pk__in=[])
    if not scope.prefix:
        return User.objects.filter(own)
    return User.objects.filter(own | Q(jurisdiction__startswith=scope.prefix))


def account_choices(*, role: str) -> QuerySet[User]:
    """The active accounts of a role that an input may name (the chief of an appointment, the operators
    of an intake). Not narrowed by jurisdiction: appointing a chief or an operator is how an account
    comes to have rows in a jurisdiction, so any reviewer may name any active account of the role."""
    return User.objects.filter(role=role, is_active=True)


def user_tokens(*, user: User) -> QuerySet[ApiToken]:
    """The API tokens of an account (for invalidating them)."""
    return ApiToken.objects.filter(user=user)
