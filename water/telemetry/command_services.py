"""Writes of the per-station command queue (issue 18 downlink): queue, cancel, and the gateway's state changes.

A person (admin, or a reviewer for meters in their jurisdiction) queues a command for a meter's RTU; the
gateway (`water.telemetry.downlink`) delivers it while the station is connected, matches the answer and
records every state change here: each change is a `StationCommandEvent` row and an audit row, written in one
transaction with the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.scope import Scope
from core.audit import audit_record
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput
from core.kernel import actor_user
from water import conf
from water.choices import NOT_REPORTS, OPEN_COMMAND_STATES, CommandKind, CommandSource, CommandState
from water.models import Meter, StationCommand, StationCommandEvent
from water.telemetry.selectors import meter_for_commands, normalise_address
from water.telemetry.spec import PROTOCOL_FAMILY, meter_profile

# Kinds each codec family can send (SZY 206 has no period query whose layout is implemented: B1H is not).
SUPPORTED: dict[str, frozenset[str]] = {
    "sl651": frozenset(CommandKind.values),
    "szy206": frozenset({CommandKind.REALTIME, CommandKind.SET_CLOCK, CommandKind.READ_CLOCK, CommandKind.STATUS}),
}
_PERIOD_KEYS = frozenset({"start", "end", "step_minutes", "element"})


def _snapshot(command: StationCommand) -> dict[str, Any]:
    return {
        "meter": command.meter_id,
        "protocol": command.protocol,
        "address": command.address,
        "kind": command.kind,
        "params": command.params,
        "source": command.source,
        "state": command.state,
        "attempts": command.attempts,
        "error": command.error,
    }


def _aware(value: Any, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput("Bad time.", fields={field: ["An ISO 8601 time with its offset."]}) from None
    else:
        raise InvalidInput("Bad time.", fields={field: ["An ISO 8601 time with its offset."]})
    if moment.utcoffset() is None:
        raise InvalidInput("Bad time.", fields={field: ["The time needs its offset (e.g. +08:00)."]})
    return moment


def period_params(params: Mapping[str, Any], *, default_element: str | None) -> dict[str, Any]:
    """A 38H query's parameters checked and normalised: start/end (aware, whole hours are what the query
    carries: start rounds down, end up), step_minutes (1–1440), element (hex id, default the profile's volume
    element)."""
    unknown = sorted(set(params) - _PERIOD_KEYS)
    if unknown:
        raise InvalidInput(
            "Unknown parameters.", fields={f"params.{k}": ["Not a parameter of this command."] for k in unknown}
        )
    for key in ("start", "end"):
        if key not in params:
            raise InvalidInput("Missing parameter.", fields={f"params.{key}": ["This parameter is required."]})
    start = _aware(params["start"], "params.start")
    end = _aware(params["end"], "params.end")
    if end <= start:
        raise InvalidInput("Bad window.", fields={"params.end": ["The end must be after the start."]})
    max_days = conf.telemetry_period_max_days()
    if end - start > dt.timedelta(days=max_days):
        raise InvalidInput("Window too long.", fields={"params.end": [f"At most {max_days} days per query."]})
    step = params.get("step_minutes", 5)
    if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= 1440:
        raise InvalidInput("Bad step.", fields={"params.step_minutes": ["A whole number of minutes, 1–1440."]})
    element = params.get("element", default_element)
    if not isinstance(element, str) or len(element) not in (2, 4) or not all(c in "0123456789ABCDEF" for c in element):
        raise InvalidInput("Bad element.", fields={"params.element": ["An SL 651 element id such as 39 or FF01."]})
    return {"start": start.isoformat(), "end": end.isoformat(), "step_minutes": step, "element": element}


@transaction.atomic
def station_command_create(
    *,
    scope: Scope,
    actor: Any,
    meter_id: int,
    kind: str,
    params: Mapping[str, Any] | None = None,
    source: str = CommandSource.MANUAL,
    max_attempts: int | None = None,
) -> StationCommand:
    """Queue a command for a meter's RTU. The meter must be in the caller's scope (else 404), speak a telemetry
    protocol and have an RTU address; the kind must be one its protocol can send."""
    meter: Meter = meter_for_commands(scope=scope, meter_id=meter_id)
    family = PROTOCOL_FAMILY.get(meter.protocol)
    if family is None or not meter.rtu_address:
        raise InvalidInput("Not a telemetry meter.", fields={"meter": ["This meter has no RTU protocol and address."]})
    if kind not in CommandKind.values:
        raise InvalidInput("Unknown command.", fields={"kind": [f"One of {', '.join(CommandKind.values)}."]})
    if kind not in SUPPORTED[family]:
        raise InvalidInput("Not supported.", fields={"kind": [f"{kind} is not implemented for {family} stations."]})
    params = dict(params or {})
    if kind == CommandKind.PERIOD:
        try:
            profile = meter_profile(meter.protocol, meter.decoding_profile, meter.multiplier)
            default = profile.volume_element
        except ValueError:
            default = None
        params = period_params(params, default_element=default)
    elif params:
        raise InvalidInput("Unknown parameters.", fields={"params": ["This command takes no parameters."]})
    attempts = max_attempts if max_attempts is not None else conf.command_attempts()
    if not 1 <= attempts <= 10:
        raise InvalidInput("Bad attempts.", fields={"max_attempts": ["1–10."]})
    command = StationCommand.objects.create(
        meter=meter,
        protocol=family,
        address=normalise_address(meter.rtu_address),
        kind=kind,
        params=params,
        source=source,
        state=CommandState.QUEUED,
        max_attempts=attempts,
        created_by=actor_user(actor),
    )
    StationCommandEvent.objects.create(
        command=command, state=CommandState.QUEUED, at=timezone.now(), detail=f"queued ({source})"
    )
    audit_record(actor=actor, action=AuditAction.CREATE, instance=command, after=_snapshot(command))
    return command


@transaction.atomic
def station_command_cancel(*, command: StationCommand, actor: Any, reason: str = "") -> StationCommand:
    """Cancel a command not answered yet (audited); 409 when it is already closed."""
    command = StationCommand.objects.select_for_update().get(pk=command.pk)
    if command.state not in OPEN_COMMAND_STATES:
        raise Conflict("Command is closed.", code="command_closed", fields={"state": [f"It is {command.state}."]})
    return _transition(command, CommandState.CANCELLED, actor=actor, detail=reason or "cancelled")


def _transition(
    command: StationCommand,
    state: str,
    *,
    actor: Any,
    detail: str,
    at: dt.datetime | None = None,
    **changes: Any,
) -> StationCommand:
    before = _snapshot(command)
    at = at or timezone.now()
    command.state = state
    for name, value in changes.items():
        setattr(command, name, value)
    command.save()
    StationCommandEvent.objects.create(command=command, state=state, at=at, detail=detail[:200])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=command,
        before=before,
        after=_snapshot(command),
        reason=detail[:200],
    )
    return command


@transaction.atomic
def station_command_record(
    *,
    command_id: int,
    state: str,
    actor: Any,
    detail: str = "",
    at: dt.datetime | None = None,
    serial: int | None = None,
    answer: dict[str, Any] | None = None,
) -> StationCommand | None:
    """The gateway's state change of a command: ``sent`` (attempts + 1, serial), ``answered`` (answer),
    ``queued`` again after a timeout, ``failed``. A command cancelled meanwhile is left as it is (None)."""
    command = StationCommand.objects.select_for_update().filter(pk=command_id).first()
    if command is None or command.state not in OPEN_COMMAND_STATES:
        return None
    at = at or timezone.now()
    changes: dict[str, Any] = {}
    if state == CommandState.SENT:
        changes = {"attempts": command.attempts + 1, "sent_at": at, "serial": serial}
    elif state == CommandState.ANSWERED:
        changes = {"answered_at": at, "answer": answer, "error": ""}
    elif state in (CommandState.FAILED, CommandState.QUEUED):
        changes = {"error": detail[:200]}
    return _transition(command, state, actor=actor, detail=detail, at=at, **changes)


@transaction.atomic
def station_backfill_queue(*, meter_id: int, before: dt.datetime, interval_s: int, actor: Any) -> StationCommand | None:
    """Gap backfill: when the meter's last stored reading before ``before`` (a reconnecting station's first
    report) lies at least WATER_TELEMETRY_BACKFILL_MIN_MISSED report intervals back, queue a 38H query for the
    gap (bounded to WATER_TELEMETRY_BACKFILL_MAX_HOURS, and to the period limit). Nothing when the gap is
    short, the meter has no report to start from (only its installation reading), or a backfill of this meter
    is still open."""
    from water.models import Reading
    from water.telemetry.services import SYSTEM_SCOPE

    if StationCommand.objects.filter(
        meter_id=meter_id, source=CommandSource.BACKFILL, state__in=list(OPEN_COMMAND_STATES)
    ).exists():
        return None
    last = (
        Reading.objects.filter(meter_id=meter_id, observed_at__lt=before)
        .exclude(source__in=list(NOT_REPORTS))  # the installation reading is not a report to resume from
        .order_by("-observed_at")
        .values_list("observed_at", flat=True)
        .first()
    )
    if last is None:
        return None
    step = dt.timedelta(seconds=interval_s)
    if before - last < step * (conf.backfill_min_missed() + 1):
        return None
    start = max(last + step, before - dt.timedelta(hours=conf.backfill_max_hours()))
    start = max(start, before - dt.timedelta(days=conf.telemetry_period_max_days()))
    end = before - step
    if end < start:
        return None
    minutes = max(1, min(1440, interval_s // 60))
    return station_command_create(
        scope=SYSTEM_SCOPE,
        actor=actor,
        meter_id=meter_id,
        kind=CommandKind.PERIOD,
        source=CommandSource.BACKFILL,
        params={"start": start.isoformat(), "end": end.isoformat(), "step_minutes": minutes},
    )
