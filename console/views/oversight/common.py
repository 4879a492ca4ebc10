"""What the oversight pages share: reading a form's dates, running a service and showing its errors beside
the form, the history from the audit log, the header figures and attachments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console import formats as f
from console.views import actions
from oversight.choices import (
    MilestoneStatus,
    PetitionStatus,
    TaskStatus,
)

STAFF = actions.STAFF
Errors = actions.Errors
FormError = actions.FormError
_today = actions.today
_date = actions.form_date
_is_staff = actions.is_staff
_field_errors = actions.field_errors
_run = actions.run_action


# The reasons the services write when the user gives none (the action's name), in words.
ACTION_WORDS = {
    "start": gettext_lazy("started"),
    "first progress report": gettext_lazy("started by the first progress report"),
    "complete": gettext_lazy("reported completed"),
    "sign_off": gettext_lazy("signed off"),
    "result submitted": gettext_lazy("result submitted"),
    "accepted": gettext_lazy("accepted"),
}
STATUS_LABELS = {
    "oversight.task": dict(TaskStatus.choices),
    "oversight.milestone": dict(MilestoneStatus.choices),
    "oversight.petition": dict(PetitionStatus.choices),
}


def _audit(entity: str, ids: list[Any], names: dict[str, str] | None = None) -> list[dict[str, str]]:
    return actions.audit_rows(
        entity, ids, status_labels=STATUS_LABELS.get(entity, {}), reason_words=ACTION_WORDS, names=names
    )


_figures = actions.figures


def _attachments(rows: Any) -> list[dict[str, str]]:
    return [
        {
            "url": reverse("console:oversight_attachment", args=[a.pk]),
            "name": a.name,
            "sha": a.sha256[:12],
            "size": f.number(a.size_bytes),
        }
        for a in rows
    ]


def _crumbs(url_name: str, label: Any) -> list[tuple[Any, str]]:
    return [(_("Oversight"), ""), (label, reverse(url_name))]


def _req(value: dt.date | None) -> dt.date:
    assert value is not None  # noqa: S101 - _date(required=True) raised otherwise
    return value


def _int(raw: str, name: str) -> int:
    if not str(raw).isdigit():
        raise FormError(name, _("Choose one."))
    return int(raw)


def _geojson(geom: Any) -> Any:
    import json

    return json.loads(geom.json) if geom is not None else None
