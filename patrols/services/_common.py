"""Helpers every patrols service shares: the clock, the 400 naming a field, the role check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import user_role
from core.exceptions import Forbidden, InvalidInput
from core.periods import BEIJING
from patrols.choices import (
    ChiefLevel,
)

# Seniority of levels, most senior first: a chief appointed twice to one reach patrols at the higher.
LEVEL_ORDER = [ChiefLevel.PROVINCE, ChiefLevel.CITY, ChiefLevel.DISTRICT, ChiefLevel.TOWNSHIP, ChiefLevel.VILLAGE]

# Per-point columns a resend or a ledger row never needs.
_HEAVY = ("raw_track", "raw_times_ms", "track_preview", "dropped_points", "part_starts")

# Fields full_clean() leaves out on the hot path. Geometries and the per-point JSON are built by the
# service itself, and every CheckConstraint's validate() costs one database query (nine here), so
# the database enforces those on insert instead of a Python pre-check.
_PATROL_CLEAN_EXCLUDE = [
    "raw_track",
    "raw_times_ms",
    "track_preview",
    "dropped_points",
    "part_starts",
    "flags",
    "invalid_reasons",
    "chief",
    "reach",
    "lake",
    "reviewed_by",
]


def _now() -> dt.datetime:
    return timezone.now()


def _today() -> dt.date:
    return _now().astimezone(BEIJING).date()


def _invalid(field: str, message: str, *, code: str = "invalid") -> InvalidInput:
    return InvalidInput(message, code=code, fields={field: [message]})


def _one_site(reach_id: int | None, lake_id: int | None) -> None:
    """A patrol, case or litter record names a reach or a lake: both or neither is a 400 naming the
    member that is wrong (`lake` when both are given, `reach` when neither is)."""
    if reach_id is not None and lake_id is not None:
        raise _invalid("lake", _("Give a reach or a lake, not both."), code="reach_or_lake")
    if reach_id is None and lake_id is None:
        raise _invalid("reach", _("Give a reach or a lake."), code="reach_or_lake")


def _require_role(actor: Any, roles: Iterable[str], what: str) -> str:
    role = user_role(actor)
    if role is None or role not in set(roles):
        raise Forbidden(_("Your role may not %(what)s.") % {"what": what})
    return role
