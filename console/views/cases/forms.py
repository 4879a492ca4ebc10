"""The case page's step forms (assign, start rectification, submit, verify, send back, close, clear on
the spot) as data, rendered by the one include console/_action_form.html: each step's summary, button
and fields, the user's input kept and the errors beside the field after a refused post."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


@dataclass(frozen=True)
class Field:
    name: str
    label: Promise
    kind: str = "text"  # text, date, textarea, file
    maxlength: int | None = None
    required: bool = False
    rows: int = 0  # a textarea's
    errors_of: tuple[str, ...] = ()  # the error keys shown beside it (default: its name)


@dataclass(frozen=True)
class Step:
    summary: Promise | None  # None: a button alone (no fields to fill)
    button: Promise
    fields: tuple[Field, ...] = ()
    primary: bool = True


def _note(label: Promise, kind: str = "text", rows: int = 0) -> Field:
    return Field("note", label, kind, maxlength=1000, rows=rows)


STEPS: dict[str, Step] = {
    "assign": Step(
        _("Assign (name the unit and the deadline)"),
        _("Assign"),
        (
            Field("responsible_unit", _("Responsible unit"), maxlength=200, required=True),
            Field("deadline", _("Deadline"), "date"),
            _note(_("Note")),
        ),
    ),
    "rectify": Step(None, _("Start rectification")),
    "submit": Step(
        _("Submit the rectification for check"),
        _("Submit for check"),
        (
            _note(_("What was done"), "textarea", 3),
            Field("photo", _("Photo of the site after rectification (optional; JPEG, PNG or WebP)"), "file"),
        ),
    ),
    "verify": Step(_("Verify the rectification"), _("Verify"), (_note(_("Check note")),)),
    "reject": Step(
        _("Send the rectification back"), _("Send back"), (_note(_("Reason (required)"), "textarea", 2),), primary=False
    ),
    "close": Step(_("Close the case"), _("Close"), (_note(_("Note")),)),
    "clear": Step(
        _("Clear on the spot (立查立清)"),
        _("Close as cleared on the spot"),
        (
            _note(_("What was done")),
            Field(
                "photo",
                _("Photo of the cleared site (required unless one is already on the case)"),
                "file",
                errors_of=("photo", "photos"),
            ),
        ),
    ),
}


def step_forms(acts: list[str], form: dict[str, Any], urls: dict[str, str]) -> list[dict[str, Any]]:
    """The forms of the steps in `acts` (in their order) for console/_action_form.html: the values the
    user posted and the errors of a refused post kept on the form of that step."""
    out = []
    for act in acts:
        step = STEPS.get(act)
        if step is None:
            continue
        mine = form.get("action") == act
        values = (form.get("values") or {}) if mine else {}
        errors = (form.get("errors") or {}) if mine else {}
        fields = [
            {
                "name": fd.name,
                "label": fd.label,
                "kind": fd.kind,
                "maxlength": fd.maxlength,
                "required": fd.required,
                "rows": fd.rows,
                "accept": PHOTO_TYPES if fd.kind == "file" else "",
                "value": "" if fd.kind == "file" else values.get(fd.name, ""),
                "errors": [(key, m) for key in (fd.errors_of or (fd.name,)) for m in errors.get(key, [])],
            }
            for fd in step.fields
        ]
        out.append(
            {
                "act": act,
                "url": urls[act],
                "summary": step.summary,
                "button": step.button,
                "primary": step.primary,
                "fields": fields,
                "multipart": any(fd.kind == "file" for fd in step.fields),
                "open": mine,
            }
        )
    return out
