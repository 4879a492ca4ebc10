"""What the reports app tells people through notify (issue 17): a snapshot ready to sign off, and
signed off. Raised in the transaction of the change. Own people: whoever asked for the snapshot
(and, on sign-off, the signer); the division's reviewers are reached by notify's rules."""

from __future__ import annotations

from django.urls import reverse

from notify.choices import EventType
from notify.services import event_raise
from reports.models import ReportSnapshot
from reports.selectors import division_name


def _event(snap: ReportSnapshot, type_: EventType, *, signer: str = "") -> None:
    name = division_name(snap.division_code) or snap.division_code
    people = {p for p in (snap.requested_by_id, snap.signed_off_by_id) if p}
    event_raise(
        type=type_,
        division_code=snap.division_code,
        subject_type="reports.reportsnapshot",
        subject_id=snap.pk,
        figures={"period": snap.period_label, "division_name": name, "version": snap.version, "signer": signer},
        people=people,
        link=reverse("reports:snapshot", kwargs={"pk": snap.pk}),
        key=f"{type_}:{snap.pk}",
    )


def snapshot_ready(snapshot_id: int) -> None:
    snap = ReportSnapshot.objects.defer("xlsx", "pdf", "figures").get(pk=snapshot_id)
    _event(snap, EventType.REPORT_READY)


def snapshot_signed_off(snap: ReportSnapshot) -> None:
    _event(snap, EventType.REPORT_SIGNED_OFF, signer=str(snap.signed_off_by or ""))
