"""Reads of the reports app: snapshots the caller may see (their division lies in the caller's
jurisdiction), without the file columns unless asked."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.scope import Scope
from core.exceptions import NotFound
from reports.models import ReportSnapshot

READ_ROLES = (Role.ADMIN, Role.REVIEWER, Role.CHIEF)


def snapshot_list(*, scope: Scope) -> QuerySet[ReportSnapshot]:
    qs = ReportSnapshot.objects.defer("xlsx", "pdf", "figures", "diff").select_related("requested_by", "signed_off_by")
    if scope.everything:
        return qs
    if scope.role not in READ_ROLES:
        return qs.none()
    return scope.filter(qs, "division_code")


def snapshot_get(*, scope: Scope, snapshot_id: int, files: bool = False) -> ReportSnapshot:
    qs = snapshot_list(scope=scope).defer(None) if files else snapshot_list(scope=scope).defer("xlsx", "pdf")
    snap = qs.filter(pk=snapshot_id).first()
    if snap is None:
        raise NotFound(_("No such report snapshot in your jurisdiction."))
    return snap
