"""Reads for the telemetry gateway and the stations endpoint, each taking ``scope=`` (house style).

`meter_directory` is what the gateway maps station addresses with; `station_list` is what
``GET /api/v1/water/monitoring/stations/`` shows, scoped like the meters: admins everything (also stations
no meter claims yet, so they can be commissioned), reviewers and chiefs their jurisdiction, operators their
own intakes, devices nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from accounts.scope import Scope
from core.exceptions import NotFound
from water.choices import CommandState
from water.models import Meter, StationCommand, TelemetryStation
from water.selectors import intake_scope_q
from water.telemetry.profiles.profile import Profile
from water.telemetry.spec import PROTOCOL_FAMILY, meter_profile

log = logging.getLogger("water.telemetry.gateway")


def normalise_address(text: str) -> str:
    """A meter's ``rtu_address`` as the gateway compares it: hex digits only, upper case (spaces, ``-`` and
    ``:`` separators allowed in the ledger)."""
    return "".join(c for c in text if c not in " -:|").upper()


@dataclass(frozen=True, slots=True)
class MeterEntry:
    """One meter a station address maps to, with what the gateway checks before storing a reading."""

    id: int
    serial: str
    installed_at: dt.datetime
    removed_at: dt.datetime | None
    register_max_m3: Decimal | None
    profile: Profile
    report_interval_s: int | None = None
    password: int | None = None  # SL 651: the meter's rtu_password, checked on every frame (None: not checked)

    def covers(self, moment: dt.datetime) -> bool:
        """Whether a reading at ``moment`` falls in the meter's installation (both ends included)."""
        return self.installed_at <= moment and (self.removed_at is None or moment <= self.removed_at)


# (codec family, address hex) → meters with that RTU address, newest installation first: a replaced meter
# keeps its RTU (meter_replace copies rtu_address), so one address can name the old meter for readings up to
# the replacement and the new one after it.
Directory = dict[tuple[str, str], tuple[MeterEntry, ...]]


def meter_directory(*, scope: Scope) -> tuple[Directory, list[str]]:
    """Every telemetry meter in scope by (family, address), and the problems found (a profile that does not
    parse: that meter is left out and its frames count as an unknown station until it is fixed)."""
    grouped: dict[tuple[str, str], list[MeterEntry]] = {}
    problems: list[str] = []
    rows = Meter.objects.filter(intake_scope_q(scope, "intake__"))
    for mid, serial, rtu, protocol, spec, multiplier, installed, removed, regmax, interval, password in (
        rows.filter(protocol__in=list(PROTOCOL_FAMILY))
        .exclude(rtu_address="")
        .values_list(
            "id",
            "serial",
            "rtu_address",
            "protocol",
            "decoding_profile",
            "multiplier",
            "installed_at",
            "removed_at",
            "register_max_m3",
            "expected_interval_s",
            "rtu_password",
        )
        .order_by("-installed_at", "-id")
    ):
        try:
            profile = meter_profile(protocol, spec, multiplier)
        except ValueError as exc:
            problems.append(f"meter {serial}: decoding profile {spec!r}: {exc}")
            continue
        key = (PROTOCOL_FAMILY[protocol], normalise_address(rtu))
        try:
            secret = int(password, 16) if password else None
        except ValueError:
            problems.append(f"meter {serial}: rtu_password {password!r} is not four hex digits")
            continue
        grouped.setdefault(key, []).append(
            MeterEntry(mid, serial, installed, removed, regmax, profile, interval, secret)
        )
    return {key: tuple(entries) for key, entries in grouped.items()}, problems


def station_list(*, scope: Scope) -> QuerySet[TelemetryStation]:
    """Stations the caller may see (see the module docstring), with their meter and intake."""
    qs = TelemetryStation.objects.select_related("meter", "meter__intake")
    if scope.everything:
        return qs
    return qs.filter(meter__isnull=False).filter(intake_scope_q(scope, "meter__intake__"))


def meter_for_commands(*, scope: Scope, meter_id: int) -> Meter:
    """A meter the caller may queue commands for (404 outside the scope)."""
    meter = Meter.objects.filter(intake_scope_q(scope, "intake__"), pk=meter_id).first()
    if meter is None:
        raise NotFound("No such meter.", fields={"meter": ["No such meter."]})
    return meter


def station_command_list(*, scope: Scope) -> QuerySet[StationCommand]:
    """Commands of the meters in the caller's scope, newest first, with their events."""
    return (
        StationCommand.objects.filter(intake_scope_q(scope, "meter__intake__"))
        .select_related("meter")
        .prefetch_related("events")
    )


@dataclass(frozen=True, slots=True)
class QueuedCommand:
    """A queued command as the gateway needs it."""

    id: int
    protocol: str
    address: str
    kind: str
    params: dict[str, object]
    attempts: int
    max_attempts: int


def queued_commands(*, scope: Scope) -> list[QueuedCommand]:
    """Every queued command in scope (the gateway's poll), oldest first."""
    rows = (
        StationCommand.objects.filter(intake_scope_q(scope, "meter__intake__"), state=CommandState.QUEUED)
        .order_by("created_at", "id")
        .values_list("id", "protocol", "address", "kind", "params", "attempts", "max_attempts")
    )
    return [QueuedCommand(*row) for row in rows]
