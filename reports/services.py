"""Writes of the reports app: snapshots requested, built, signed off. A signed-off snapshot never
changes (checked here with a 409, and by a database trigger); a rebuild is a new version whose `diff`
names every figure that changed against the previous built version and why."""

from __future__ import annotations

import datetime as dt
import traceback
from typing import Any

from celery import signature
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.scope import SYSTEM_SCOPE, Scope
from core.audit import AuditAction, audit_record, snapshot
from core.divisions import is_division_code
from core.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from core.kernel import actor_user
from core.periods import Period
from reports import notices
from reports.builders import build_report
from reports.choices import SnapshotStatus
from reports.models import ReportSnapshot
from reports.selectors import division_exists

_AUDIT_EXCLUDE = ("figures", "xlsx", "pdf", "diff")
# The build task's registered name: reports.tasks registers it under this name, the service queues it by it.
BUILD_TASK = "reports.tasks.build_snapshot"


def check_division(*, scope: Scope, division_code: str | None, field: str = "division") -> str | None:
    """A division named by a caller: malformed or unknown is a 400 naming `field`; one outside the
    caller's jurisdiction a 404 (out of scope)."""
    if division_code is None or division_code == "":
        return None
    if not is_division_code(division_code):
        raise InvalidInput(_("Not a division code."), fields={field: [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
    if not division_exists(division_code):
        raise InvalidInput(
            _("No division %(division_code)s.") % {"division_code": division_code},
            fields={field: [_("No such division.")]},
        )
    if not scope.covers_code(division_code):
        raise NotFound(_("No division %(division_code)s in your jurisdiction.") % {"division_code": division_code})
    return division_code


# --------------------------------------------------------------------------- diff


_ROW_KEYS = ("code", "category", "level", "use_class", "key", "intake_id", "state")
_SKIP = frozenset({"links", "link", "yoy", "comparison_period", "case_states", "sections", "prorated_months"})


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf figures of a report by path ("water.intakes[QSK-E].use_m3"); rows of lists are keyed by
    their code (or category, level …) so that a reordered list is no change."""
    out: dict[str, Any] = {}
    if isinstance(node, dict):
        for k, v in node.items():
            if k in _SKIP:
                continue
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            key = next((str(v[k]) for k in _ROW_KEYS if isinstance(v, dict) and k in v), str(i))
            out.update(flatten(v, f"{prefix}[{key}]"))
    else:
        out[prefix] = node
    return out


# Water figures whose change names its cause: (figure, reason).
_WATER_CAUSES = (
    ("water.amendments_after_lock_m3", "late readings or corrections after the ledger lock"),
    ("water.corrected_m3", "readings corrected or reviewed (corrected volume changed)"),
    ("water.held_m3", "flagged readings reviewed, or new ones held (volume held for review changed)"),
    ("water.estimated_m3", "late readings filled a gap (estimated volume changed)"),
    ("water.plan_m3", "the plan was amended"),
)


def _reason(path: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    section = path.split(".", 1)[0].split("[", 1)[0]
    if section == "water":
        causes = []
        for figure, reason in _WATER_CAUSES:
            b, a = before.get(figure), after.get(figure)
            if b != a:
                if path == figure:
                    return f"{reason}: {b} → {a}"
                causes.append(f"{reason} ({figure} {b} → {a})")
        return "; ".join(causes) or "water ledger rows added or corrected (readings, plans, red-line targets)"
    return {
        "reuse": "monthly plant volumes or deliveries added or corrected",
        "patrols": "patrols, cases or litter records added or changed (late posts, case transitions)",
        "quality": "samples added or corrected",
        "oversight": "rectification tasks, petitions or rechecks recorded or reviewed late",
    }.get(section, "source rows changed")


def figures_diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Every leaf figure that differs, with the reason the ledgers give for it and its drill-down."""
    b, a = flatten(before), flatten(after)
    links = after.get("links", {})
    out = []
    for path in sorted(set(b) | set(a)):
        if path in ("schema",) or b.get(path) == a.get(path):
            continue
        base = path.split("[", 1)[0]
        out.append(
            {
                "path": path,
                "before": b.get(path),
                "after": a.get(path),
                "reason": _reason(path, b, a),
                "link": links.get(path) or links.get(base),
            }
        )
    return out


# --------------------------------------------------------------------------- services


def snapshot_request(
    *, actor: Any, scope: Scope, period: Period, division_code: str | None, reason: str = ""
) -> tuple[ReportSnapshot, bool]:
    """Ask for a snapshot of `period` for a division (default: the caller's jurisdiction; the city for
    an administrator). Creates version n+1 in `building` and queues its build after the commit. While a
    version of the same report is still building it is returned instead (created False)."""
    from reports import conf

    if division_code is None:
        division_code = conf.city_division() if scope.everything else (getattr(actor, "jurisdiction", "") or None)
    code = check_division(scope=scope, division_code=division_code)
    if code is None:
        raise InvalidInput(_("A division is required."), fields={"division": [_("Name the division of the report.")]})
    key = {"period_start": period.first_date, "period_end": period.last_date, "division_code": code}
    with transaction.atomic():
        # Lock the report's versions so that two requests do not both take version n+1.
        existing = list(ReportSnapshot.objects.select_for_update().filter(**key).only("id", "status", "version"))
        building = next((s for s in existing if s.status == SnapshotStatus.BUILDING), None)
        if building is not None:
            return ReportSnapshot.objects.get(pk=building.pk), False
        version = (max((s.version for s in existing), default=0)) + 1
        snap = ReportSnapshot(
            period_label=period.label,
            period_kind=period.kind,
            version=version,
            reason=reason[:500],
            requested_by=actor_user(actor),
            requested_label=str(getattr(actor, "username", actor) or "system")[:150],
            **key,
        )
        try:
            # The version's uniqueness is the database's to enforce (a race is caught below).
            snap.full_clean(validate_constraints=False)
        except ValidationError as exc:
            raise InvalidInput(_("Invalid snapshot."), fields=exc.message_dict) from exc
        try:
            with transaction.atomic():
                snap.save()
        except IntegrityError as exc:
            # Two first requests for the same report raced (no row to lock yet): one wins.
            raise Conflict(
                _("This report is being requested by someone else right now; retry."), code="snapshot_race"
            ) from exc
        audit_record(
            actor=actor, action=AuditAction.CREATE, instance=snap, after=snapshot(snap, exclude=_AUDIT_EXCLUDE)
        )
        hard, soft = conf.build_time_limit(), conf.build_soft_time_limit()
        transaction.on_commit(lambda: _queue_build(snap.pk, time_limit=hard, soft_time_limit=soft))
    return snap, True


def _queue_build(snapshot_id: int, *, time_limit: int, soft_time_limit: int) -> None:
    """Queue the build by the task's name (a Celery signature), never by importing reports.tasks:
    tasks → services is the app's direction (import-linter), so the producer only names the task.
    Where the task is registered in this process (reports.apps imports it) the signature calls its own
    apply_async, so eager Celery (tests, `make run`) builds in-process; where it is not, the signature
    falls back to send_task and the message still reaches the worker that has it."""
    signature(BUILD_TASK, args=(snapshot_id,), time_limit=time_limit, soft_time_limit=soft_time_limit).apply_async()


def _period_of(snap: ReportSnapshot) -> Period:
    from reports.periods import canonical

    return canonical(snap.period_start, snap.period_end)


def snapshot_build(*, snapshot_id: int, now: dt.datetime | None = None) -> ReportSnapshot | None:
    """Build a snapshot that is `building`: figures, both files, diff against the previous built
    version. Idempotent: a snapshot in any other state is left alone (a redelivered task does nothing).
    A failure marks it `failed` with the error, and re-raises nothing (a rebuild is a new request)."""
    from reports.pdf import render_pdf
    from reports.xlsx import render_xlsx

    snap = ReportSnapshot.objects.filter(pk=snapshot_id).defer("xlsx", "pdf").first()
    if snap is None or snap.status != SnapshotStatus.BUILDING:
        return snap
    building = ReportSnapshot.objects.filter(pk=snapshot_id, status=SnapshotStatus.BUILDING)

    def progress(pct: int) -> None:
        building.update(progress=min(99, max(0, pct)))

    try:
        # The stored labels (choice labels in the figures, hence the files and the diff) are in the
        # deployment's language, whoever's request or whichever worker builds: a build run eagerly inside
        # an English page would otherwise store English labels, and the next version's diff list them all.
        with translation.override(settings.LANGUAGE_CODE):
            figures = build_report(
                scope=SYSTEM_SCOPE,
                period=_period_of(snap),
                division_code=snap.division_code,
                now=now,
                progress=progress,
            )
            xlsx = render_xlsx(figures)
            progress(90)
            pdf = render_pdf(figures)
        previous = (
            ReportSnapshot.objects.filter(
                period_start=snap.period_start,
                period_end=snap.period_end,
                division_code=snap.division_code,
                version__lt=snap.version,
                status__in=[SnapshotStatus.READY, SnapshotStatus.SIGNED_OFF],
            )
            .order_by("-version")
            .only("id", "figures")
            .first()
        )
        diff = figures_diff(previous.figures or {}, figures) if previous is not None else []
    except Exception as exc:  # any failure of a build is recorded on the snapshot, not lost in a log
        with transaction.atomic():
            building.update(status=SnapshotStatus.FAILED, error=f"{exc!r}\n{traceback.format_exc()}"[-4000:])
            audit_record(
                actor="task:reports.build_snapshot",
                action=AuditAction.TRANSITION,
                entity="reports.reportsnapshot",
                entity_id=snapshot_id,
                after={"status": SnapshotStatus.FAILED},
                reason=repr(exc)[:500],
            )
        return ReportSnapshot.objects.filter(pk=snapshot_id).first()
    with transaction.atomic():
        done = building.update(
            status=SnapshotStatus.READY,
            progress=100,
            figures=figures,
            xlsx=xlsx,
            pdf=pdf,
            diff=diff,
            previous_id=previous.pk if previous is not None else None,
            built_at=timezone.now(),
            error="",
        )
        if done:
            audit_record(
                actor="task:reports.build_snapshot",
                action=AuditAction.TRANSITION,
                entity="reports.reportsnapshot",
                entity_id=snapshot_id,
                after={"status": SnapshotStatus.READY, "changed_figures": len(diff)},
            )
            notices.snapshot_ready(snapshot_id)
    return ReportSnapshot.objects.filter(pk=snapshot_id).first()


def snapshot_sign_off(*, actor: Any, snap: ReportSnapshot) -> ReportSnapshot:
    """A reviewer (or admin) signs a ready snapshot off; from then on it never changes."""
    role = Role.ADMIN if getattr(actor, "is_superuser", False) else getattr(actor, "role", None)
    if role not in (Role.ADMIN, Role.REVIEWER):
        raise Forbidden(_("Only a reviewer or an administrator signs a report off."))
    with transaction.atomic():
        current = ReportSnapshot.objects.select_for_update().defer("xlsx", "pdf").get(pk=snap.pk)
        if current.status != SnapshotStatus.READY:
            raise Conflict(
                _("A %(status)s snapshot cannot be signed off.") % {"status": SnapshotStatus(current.status).label},
                code="snapshot_not_ready",
                fields={
                    "status": [
                        _("Is %(status)s; only a ready snapshot can be signed off.")
                        % {"status": SnapshotStatus(current.status).label}
                    ]
                },
            )
        before = snapshot(current, exclude=_AUDIT_EXCLUDE)
        current.status = SnapshotStatus.SIGNED_OFF
        current.signed_off_by = actor
        current.signed_off_at = timezone.now()
        current.save(update_fields=["status", "signed_off_by", "signed_off_at"])
        audit_record(
            actor=actor,
            action=AuditAction.TRANSITION,
            instance=current,
            before=before,
            after=snapshot(current, exclude=_AUDIT_EXCLUDE),
            reason="signed off",
        )
        notices.snapshot_signed_off(current)
    return current


def previous_quarter_request(*, now: dt.datetime | None = None) -> int:
    """The beat job: the city's report of the quarter just closed (a new version if one exists and
    nothing is building). Returns the snapshot id."""
    from core.periods import previous_quarter
    from reports import conf

    period = previous_quarter(now or timezone.now())
    snap, __ = snapshot_request(
        actor="beat:reports.build_previous_quarter",
        scope=SYSTEM_SCOPE,
        period=period,
        division_code=conf.city_division(),
        reason="quarterly beat job",
    )
    return snap.pk
