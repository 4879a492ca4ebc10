"""The texts of notifications: short, Chinese first (gettext, catalogue in notify/locale), with the
figures and a link to the row. A rule may replace the body with its own template, whose fields are
checked against the event type's fields when the rule is saved."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from notify import conf
from notify.choices import EventType

COMMON_FIELDS = frozenset({"division", "link", "type"})

# Per type: the default body (English source string, translated at render time) and the figures a
# template may use. The raising service passes these names in `figures`.
BODIES: dict[str, tuple[str, frozenset[str]]] = {
    EventType.CASE_ASSIGNED: (
        gettext_noop("Case {case} ({category}) on {reach} assigned to {unit}, deadline {deadline}."),
        frozenset({"case", "category", "reach", "unit", "deadline"}),
    ),
    EventType.CASE_REJECTED: (
        gettext_noop("Rectification of case {case} on {reach} rejected: {reason}"),
        frozenset({"case", "reach", "reason", "unit"}),
    ),
    EventType.CASE_OVERDUE: (
        gettext_noop("Case {case} on {reach} is past its deadline {deadline} ({unit})."),
        frozenset({"case", "reach", "unit", "deadline"}),
    ),
    EventType.CASE_CLOSED: (
        gettext_noop("Case {case} ({category}) on {reach} closed."),
        frozenset({"case", "category", "reach"}),
    ),
    EventType.PATROL_FLAGGED: (
        gettext_noop("Patrol by {chief} on {reach} flagged for review: {flags}."),
        frozenset({"patrol", "chief", "reach", "flags"}),
    ),
    EventType.FREQUENCY_MISSED: (
        gettext_noop("{chief} made {done} of {required} required patrols in {period}."),
        frozenset({"chief", "period", "required", "done", "missing"}),
    ),
    EventType.METER_OFFLINE: (
        gettext_noop("Meter {meter} of {intake} silent for {silent_hours} h."),
        frozenset({"meter", "intake", "silent_hours", "last_observed_at"}),
    ),
    EventType.METER_ONLINE: (
        gettext_noop("Meter {meter} of {intake} is reporting again."),
        frozenset({"meter", "intake"}),
    ),
    EventType.READING_FLAGGED: (
        gettext_noop("Reading of meter {meter} ({intake}) at {observed_at} held for review: {step_m3} m³."),
        frozenset({"meter", "intake", "observed_at", "step_m3", "kind"}),
    ),
    EventType.PLAN_80: (
        gettext_noop("{intake} has used {percent} per cent of its {year} plan ({use_m3} of {plan_m3} m³)."),
        frozenset({"intake", "year", "use_m3", "plan_m3", "percent"}),
    ),
    EventType.PLAN_100: (
        gettext_noop("{intake} is over its {year} plan: {use_m3} of {plan_m3} m³ ({percent}%)."),
        frozenset({"intake", "year", "use_m3", "plan_m3", "percent"}),
    ),
    EventType.REDLINE_AT_RISK: (
        gettext_noop("Red line {indicator} for {year} at risk: {actual} against {target}."),
        frozenset({"indicator", "year", "actual", "target"}),
    ),
    EventType.REPORT_READY: (
        gettext_noop("Report {period} of {division_name} (v{version}) is ready to sign off."),
        frozenset({"period", "division_name", "version"}),
    ),
    EventType.REPORT_SIGNED_OFF: (
        gettext_noop("Report {period} of {division_name} (v{version}) signed off by {signer}."),
        frozenset({"period", "division_name", "version", "signer"}),
    ),
    EventType.OVERSIGHT_TASK_OVERDUE: (
        gettext_noop("Rectification task {task} ({unit}) is past its deadline {deadline}."),
        frozenset({"task", "unit", "deadline"}),
    ),
    EventType.OVERSIGHT_MILESTONE_OVERDUE: (
        gettext_noop("Milestone {milestone} of task {task} ({unit}) is past its deadline {deadline}."),
        frozenset({"task", "milestone", "unit", "deadline"}),
    ),
    EventType.PETITION_OVERDUE: (
        gettext_noop("Petition {petition} ({unit}) is past its deadline {deadline}."),
        frozenset({"petition", "unit", "deadline"}),
    ),
    EventType.SUPERVISION_ORDER_ISSUED: (
        gettext_noop("Supervision order {order} issued to {unit}, deadline {deadline}."),
        frozenset({"order", "unit", "deadline"}),
    ),
    EventType.ESCALATED: (
        gettext_noop("Escalated to you: {item}, no action for {days} days at {from_level} level."),
        frozenset({"item", "days", "from_level", "to_level", "item_type"}),
    ),
    EventType.DIGEST: (
        gettext_noop("{count} notifications today:\n{items}"),
        frozenset({"count", "items"}),
    ),
}


def template_fields(template: str) -> set[str]:
    """The field names a template uses (ValueError when it does not parse)."""
    names = set()
    for _literal, field, _spec, _conv in string.Formatter().parse(template):
        if field is None:
            continue
        if field == "" or not field.isidentifier():
            raise ValueError(f"{{{field}}} is not a field name")
        names.add(field)
    return names


def unknown_fields(event_type: str, template: str) -> list[str]:
    """Fields of `template` that events of `event_type` do not carry (ValueError: does not parse)."""
    allowed = BODIES[event_type][1] | COMMON_FIELDS
    return sorted(template_fields(template) - allowed)


class _Figures(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "—"


def render(
    *, event_type: str, figures: Mapping[str, Any], link: str, division: str, template: str = ""
) -> tuple[str, str]:
    """(title, body) in NOTIFY_LANGUAGE. A figure the raiser did not send shows as a dash: a missing
    figure never stops a notification."""
    values = _Figures(figures)
    url = f"{conf.site_url()}{link}" if link.startswith("/") else link
    values.setdefault("link", url)
    values.setdefault("division", division)
    with translation.override(conf.language()):
        values.setdefault("type", str(EventType(event_type).label))
        title = str(EventType(event_type).label)
        body = (template or gettext(BODIES[event_type][0])).format_map(values)
    if url and "{link}" not in template:
        body = f"{body}\n{url}"
    return title[:200], body
