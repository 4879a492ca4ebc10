"""The oversight ledgers (督察整改与信访): findings, rectification tasks, petitions, supervision orders and
circulars, each through oversight.selectors (a unit sees what is handed to it, a reviewer their
jurisdiction) and the API's FilterSet, with the API's CSV/XLSX export of the same rows."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from console import formats as f
from console.ledgers.base import Column, Filter, Ledger
from oversight import selectors
from oversight.choices import Timeliness
from oversight.filters import CircularFilter, FindingFilter, OrderFilter, PetitionFilter, TaskFilter

DIVISION = Filter("division", _("Division code"))


def _detail(name: str) -> Any:
    return lambda obj: reverse(name, args=[obj.pk])


def unit_name(user: Any) -> str:
    return (user.display_name or user.username) if user is not None else "—"


def timeliness_label(value: str | None) -> str:
    try:
        return str(Timeliness(value or "").label)
    except ValueError:
        return "—"


def order_item(o: Any) -> str:
    if o.task_id:
        return o.task.code
    if o.milestone_id:
        return o.milestone.title
    if o.petition_id:
        return o.petition.number
    return str(o.case_id)[:8] if o.case_id else "—"


FINDINGS = Ledger(
    slug="oversight_findings",
    title=_("Inspection findings"),
    queryset=lambda scope: selectors.finding_list(scope=scope),
    filterset=FindingFilter,
    columns=(
        Column(_("Code"), lambda o: o.code, "code"),
        Column(_("Inspection round"), lambda o: o.round.name, "round__code"),
        Column(_("Feedback document"), lambda o: o.round.document_no),
        Column(_("Category"), lambda o: o.get_category_display(), "category"),
        Column(_("Division"), lambda o: o.division.name, "division__code"),
        Column(_("Problem"), lambda o: o.text if len(o.text) <= 60 else o.text[:60] + "…"),
    ),
    filters=(Filter("round", _("Round code")), Filter("category", _("Category"), "choice"), DIVISION),
    default_sort=("round__code", "code"),
    detail=lambda o: reverse("console:oversight_task_list") + f"?round={o.round.code}",
)

TASKS = Ledger(
    slug="oversight_tasks",
    title=_("Rectification tasks"),
    queryset=lambda scope: selectors.task_list(scope=scope),
    filterset=TaskFilter,
    columns=(
        Column(_("Code"), lambda o: o.code, "code"),
        Column(_("Task"), lambda o: o.title, "title"),
        Column(_("Division"), lambda o: o.finding.division.name, "finding__division__code"),
        Column(_("Lead unit"), lambda o: unit_name(o.lead_unit), "lead_unit__username"),
        Column(_("Deadline"), lambda o: f.day(o.deadline), "deadline"),
        Column(_("Status"), lambda o: o.get_status_display(), "status"),
        Column(_("Review"), lambda o: o.get_review_display(), "review"),
        Column(_("Timeliness"), lambda o: timeliness_label(o.timeliness), "timeliness"),
        Column(_("Completed on"), lambda o: f.day(o.completed_on), "completed_on"),
        Column(_("Times reopened"), lambda o: o.reopened_count, "reopened_count", True),
    ),
    filters=(
        Filter("status", _("Status"), "choice"),
        Filter("timeliness", _("Timeliness"), "choice"),
        Filter("review", _("Review"), "choice"),
        Filter("category", _("Category"), "choice"),
        Filter("round", _("Round code")),
        Filter("unit", _("Unit (user name)")),
        DIVISION,
    ),
    default_sort=("deadline", "code"),
    export="oversight:task-export",
    detail=_detail("console:oversight_task_detail"),
)

PETITIONS = Ledger(
    slug="oversight_petitions",
    title=_("Petitions"),
    # The complaint and the result are read on the detail page, not in a table of 50 rows.
    queryset=lambda scope: selectors.petition_list(scope=scope).defer("complaint", "result", "measures", "reply"),
    filterset=PetitionFilter,
    columns=(
        Column(_("Receipt number"), lambda o: o.number, "number"),
        Column(_("Received on"), lambda o: f.day(o.received_on), "received_on"),
        Column(_("Batch"), lambda o: o.batch.number, "batch__number", True),
        Column(_("Channel"), lambda o: o.get_channel_display(), "channel"),
        Column(_("Category"), lambda o: o.get_category_display(), "category"),
        Column(_("Division"), lambda o: o.division.name, "division__code"),
        Column(_("Unit"), lambda o: unit_name(o.unit), "unit__username"),
        Column(pgettext_lazy("petition", "Deadline"), lambda o: f.day(o.deadline), "deadline"),
        Column(_("Status"), lambda o: o.get_status_display(), "status"),
        Column(_("Review"), lambda o: o.get_review_display(), "review"),
        Column(_("Substantiated"), lambda o: o.get_substantiated_display() or "—", "substantiated"),
    ),
    filters=(
        Filter("number", _("Receipt number")),
        Filter("status", _("Status"), "choice"),
        Filter("review", _("Review"), "choice"),
        Filter("channel", _("Channel"), "choice"),
        Filter("category", _("Category"), "choice"),
        Filter("substantiated", _("Substantiated"), "choice"),
        Filter("batch", _("Batch")),
        Filter("received_after", _("Received from"), "date"),
        Filter("received_before", _("Received until"), "date"),
        Filter("unit", _("Unit (user name)")),
        DIVISION,
    ),
    default_sort=("-received_on", "number"),
    export="oversight:petition-export",
    detail=_detail("console:oversight_petition_detail"),
)

ORDERS = Ledger(
    slug="oversight_orders",
    title=_("Supervision orders"),
    queryset=lambda scope: selectors.order_list(scope=scope).defer("text", "reply"),
    filterset=OrderFilter,
    columns=(
        Column(_("Number"), lambda o: o.number, "number"),
        Column(_("Subject"), lambda o: o.get_subject_display(), "subject"),
        Column(_("Item"), order_item),
        Column(_("Unit"), lambda o: unit_name(o.unit), "unit__username"),
        Column(_("Division"), lambda o: o.division.name, "division__code"),
        Column(_("Issued (Beijing)"), lambda o: f.when(o.issued_at), "issued_at"),
        Column(_("Reply due"), lambda o: f.day(o.reply_due), "reply_due"),
        Column(_("Replied (Beijing)"), lambda o: f.when(o.replied_at), "replied_at"),
    ),
    filters=(
        Filter("subject", _("Subject"), "choice"),
        Filter("unit", _("Unit (user name)")),
        Filter("replied", _("Replied"), "bool"),
    ),
    default_sort=("-issued_at", "-id"),
    detail=_detail("console:oversight_order_detail"),
)

CIRCULARS = Ledger(
    slug="oversight_circulars",
    title=_("Circulars"),
    queryset=lambda scope: selectors.circular_list(scope=scope).defer("figures"),
    filterset=CircularFilter,
    columns=(
        Column(_("Number"), lambda o: o.number, "number"),
        Column(_("Title"), lambda o: o.title),
        Column(_("Period start"), lambda o: f.day(o.first_date), "first_date"),
        Column(_("Period end"), lambda o: f.day(o.last_date), "last_date"),
        Column(_("Division"), lambda o: o.division_code or "—", "division_code"),
        Column(_("Status"), lambda o: o.get_status_display(), "status"),
        Column(_("Signed (Beijing)"), lambda o: f.when(o.signed_at), "signed_at"),
    ),
    filters=(Filter("status", _("Status"), "choice"),),
    default_sort=("-created_at", "-id"),
    detail=_detail("console:oversight_circular_detail"),
)

OVERSIGHT_LEDGERS: dict[str, Ledger] = {
    ledger.slug: ledger for ledger in (FINDINGS, TASKS, PETITIONS, ORDERS, CIRCULARS)
}
