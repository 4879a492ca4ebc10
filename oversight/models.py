"""The oversight ledger (督察整改与信访, domain.md §9): inspection rounds and their findings,
rectification tasks with milestones and progress, petitions handed over in batches, supervision
orders, circulars and look-back rechecks.

Member units (成员单位) are accounts of role `unit` (accounts.Role.UNIT): a task's lead and
responsible units and a petition's unit are those accounts, so what a unit sees is exactly what names
it. Timeliness (on time / late / overdue) is derived from the dates by the selectors, never stored.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from core.geo import WGS84_SRID
from core.models import TimeStamped
from oversight.choices import (
    Channel,
    CircularStatus,
    FindingCategory,
    MilestoneKind,
    MilestoneStatus,
    OrderSubject,
    PetitionCategory,
    PetitionStatus,
    RecheckItem,
    RecheckOutcome,
    ReviewState,
    RoundKind,
    Substantiated,
    TaskStatus,
)
from patrols.models import Case
from places.models import Division, Lake, Reach
from reuse.models import Plant
from water.models import Intake

USER = settings.AUTH_USER_MODEL


def _in(name: str, values: list[str]) -> Q:
    return Q(**{f"{name}__in": values})


class InspectionRound(TimeStamped):
    """One inspection (督察): who inspected, when the team was in the province, when it fed back its
    report, and the document number of the feedback or the city's rectification plan."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=RoundKind.choices)
    started_on = models.DateField(_("inspection started on"))
    ended_on = models.DateField(_("inspection ended on"))
    feedback_on = models.DateField(_("feedback on"), null=True, blank=True)
    document_no = models.CharField(_("document number"), max_length=100, blank=True)

    class Meta:
        ordering = ["-started_on", "code"]
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")
        constraints = [
            models.CheckConstraint(condition=_in("kind", RoundKind.values), name="oversight_round_kind_valid"),
            models.CheckConstraint(condition=Q(ended_on__gte=models.F("started_on")), name="oversight_round_dates"),
        ]

    def __str__(self) -> str:
        return self.name


class Finding(TimeStamped):
    """A problem the inspection fed back that concerns the city: its text, category and division, and
    optionally the reaches, lakes, intakes or plants it is about."""

    round = models.ForeignKey(
        InspectionRound, on_delete=models.PROTECT, related_name="findings", verbose_name=_("inspection round")
    )
    code = models.CharField(_("code"), max_length=32)
    text = models.TextField(_("problem"), max_length=4000)
    category = models.CharField(_("category"), max_length=24, choices=FindingCategory.choices)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="oversight_findings", verbose_name=_("division")
    )
    reaches = models.ManyToManyField(Reach, blank=True, related_name="oversight_findings", verbose_name=_("reaches"))
    lakes = models.ManyToManyField(Lake, blank=True, related_name="oversight_findings", verbose_name=_("lakes"))
    intakes = models.ManyToManyField(Intake, blank=True, related_name="oversight_findings", verbose_name=_("intakes"))
    plants = models.ManyToManyField(
        Plant, blank=True, related_name="oversight_findings", verbose_name=_("reclaimed-water plants")
    )

    class Meta:
        ordering = ["round", "code"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.UniqueConstraint(fields=["round", "code"], name="oversight_finding_code_unique"),
            models.CheckConstraint(
                condition=_in("category", FindingCategory.values), name="oversight_finding_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round.code}/{self.code}"


class Task(TimeStamped):
    """A rectification task (整改任务) for a finding: lead unit, responsible units, measures, target,
    the span from `starts_on` to the deadline, and where it stands (not started → in progress →
    completed → signed off, reopened on a relapse)."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("finding"))
    code = models.CharField(_("code"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=300)
    lead_unit = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="oversight_led_tasks", verbose_name=_("lead unit")
    )
    responsible_units = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="oversight_tasks", verbose_name=_("responsible units")
    )
    measures = models.TextField(_("measures"), max_length=4000, blank=True)
    target = models.TextField(_("target"), max_length=2000, blank=True)
    starts_on = models.DateField(_("starts on"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED)
    review = models.CharField(_("review"), max_length=16, choices=ReviewState.choices, default=ReviewState.NONE)
    return_reason = models.CharField(_("return reason"), max_length=1000, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed off by")
    )
    sign_off_note = models.CharField(_("sign-off review"), max_length=1000, blank=True)
    reopened_count = models.PositiveIntegerField(_("times reopened"), default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("rectification task")
        verbose_name_plural = _("rectification tasks")
        indexes = [models.Index(fields=["status", "deadline"], name="oversight_task_status_deadline")]
        constraints = [
            models.CheckConstraint(condition=_in("status", TaskStatus.values), name="oversight_task_status_valid"),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("starts_on")), name="oversight_task_span"),
            # Completed and signed-off tasks carry their completion date; open ones do not.
            models.CheckConstraint(
                condition=(_in("status", [TaskStatus.COMPLETED, TaskStatus.SIGNED_OFF]) & Q(completed_on__isnull=False))
                | (_in("status", [TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS]) & Q(completed_on__isnull=True)),
                name="oversight_task_completed_has_date",
            ),
            models.CheckConstraint(
                condition=(Q(status=TaskStatus.SIGNED_OFF) & Q(signed_off_at__isnull=False))
                | (~Q(status=TaskStatus.SIGNED_OFF) & Q(signed_off_at__isnull=True)),
                name="oversight_task_signed_off_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Milestone(models.Model):
    """A monthly or quarterly step of a task, with its own due date and state; inside the task's span."""

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("rectification task")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=MilestoneKind.choices)
    title = models.CharField(_("title"), max_length=300)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=8, choices=MilestoneStatus.choices, default=MilestoneStatus.PENDING
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        ordering = ["task", "due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.CheckConstraint(condition=_in("kind", MilestoneKind.values), name="oversight_milestone_kind_valid"),
            models.CheckConstraint(
                condition=(Q(status=MilestoneStatus.DONE) & Q(done_on__isnull=False))
                | (Q(status=MilestoneStatus.PENDING) & Q(done_on__isnull=True)),
                name="oversight_milestone_done_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task.code}: {self.title}"


class Progress(models.Model):
    """A progress report on a task (optionally on one milestone) by a unit or the office."""

    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, related_name="progress", verbose_name=_("rectification task")
    )
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("milestone")
    )
    text = models.TextField(_("progress"), max_length=4000)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by"))
    at = models.DateTimeField(_("reported at"), db_default=Now())

    class Meta:
        ordering = ["task", "at", "id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")

    def __str__(self) -> str:
        return f"{self.task.code} @ {self.at:%Y-%m-%d}"


class HandoverBatch(TimeStamped):
    """A hand-over batch (第N批) of petitions the inspection team transferred (转办) to the city."""

    round = models.ForeignKey(
        InspectionRound, on_delete=models.PROTECT, related_name="batches", verbose_name=_("inspection round")
    )
    number = models.PositiveIntegerField(_("batch number"))
    received_on = models.DateField(_("received on"))

    class Meta:
        ordering = ["round", "number"]
        verbose_name = _("hand-over batch")
        verbose_name_plural = _("hand-over batches")
        constraints = [models.UniqueConstraint(fields=["round", "number"], name="oversight_batch_unique")]

    def __str__(self) -> str:
        return f"{self.round.code} #{self.number}"


class Petition(TimeStamped):
    """A petition (信访件) handed over by the inspection team: its receipt number, the complaint, the
    place, the unit it is handed to, and the result the unit submits and the office accepts."""

    number = models.CharField(_("receipt number"), max_length=40, unique=True)
    batch = models.ForeignKey(
        HandoverBatch, on_delete=models.PROTECT, related_name="petitions", verbose_name=_("hand-over batch")
    )
    # The batch's date, copied: every figure counts petitions by it, without a join.
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    complaint = models.TextField(_("complaint"), max_length=4000)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="oversight_petitions", verbose_name=_("division")
    )
    location = models.PointField(_("location"), srid=WGS84_SRID, null=True, blank=True)
    reach = models.ForeignKey(
        Reach, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("reach")
    )
    lake = models.ForeignKey(
        Lake, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("lake")
    )
    intake = models.ForeignKey(
        Intake, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("intake")
    )
    category = models.CharField(_("category"), max_length=8, choices=PetitionCategory.choices)
    unit = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="oversight_petitions", verbose_name=_("responsible unit")
    )
    deadline = models.DateField(_("deadline"))
    result = models.TextField(_("investigation result"), max_length=4000, blank=True)
    substantiated = models.CharField(_("substantiated"), max_length=8, choices=Substantiated.choices, blank=True)
    measures = models.TextField(_("measures"), max_length=4000, blank=True)
    reply = models.TextField(_("reply to the complainant"), max_length=4000, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PetitionStatus.choices, default=PetitionStatus.OPEN)
    proposed_status = models.CharField(
        max_length=16, choices=PetitionStatus.choices, blank=True, verbose_name=_("proposed status")
    )
    review = models.CharField(_("review"), max_length=16, choices=ReviewState.choices, default=ReviewState.NONE)
    return_reason = models.CharField(_("return reason"), max_length=1000, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    public = models.BooleanField(_("publicly disclosed"), default=False)
    reopened_count = models.PositiveIntegerField(_("times reopened"), default=0)
    case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="petition", verbose_name=_("case")
    )
    content_sha256 = models.CharField(max_length=64, editable=False, verbose_name=_("content digest (SHA-256)"))

    class Meta:
        ordering = ["number"]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        indexes = [
            models.Index(fields=["received_on", "status"], name="oversight_petition_received"),
            models.Index(fields=["status", "closed_on"], name="oversight_petition_status"),
            models.Index(fields=["unit", "status"], name="oversight_petition_unit"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("channel", Channel.values), name="oversight_petition_channel_valid"),
            models.CheckConstraint(
                condition=_in("category", PetitionCategory.values), name="oversight_petition_category_valid"
            ),
            models.CheckConstraint(
                condition=_in("status", PetitionStatus.values), name="oversight_petition_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(substantiated="") | _in("substantiated", Substantiated.values),
                name="oversight_petition_substantiated_valid",
            ),
            # Closed (fully or at a stage) petitions carry the date; open ones do not.
            models.CheckConstraint(
                condition=(Q(status=PetitionStatus.OPEN) & Q(closed_on__isnull=True))
                | (~Q(status=PetitionStatus.OPEN) & Q(closed_on__isnull=False)),
                name="oversight_petition_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.number


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"oversight/{instance.sha256[:2]}/{filename}"


class Attachment(models.Model):
    """A document or photo attached to a progress report or a petition's result: stored once under
    its SHA-256 and never changed (no service updates it; the admin shows it read-only)."""

    progress = models.ForeignKey(
        Progress,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("progress report"),
    )
    petition = models.ForeignKey(
        Petition,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("petition"),
    )
    sha256 = models.CharField(max_length=64, verbose_name=_("file digest (SHA-256)"))
    file = models.FileField(upload_to=attachment_path, max_length=200, verbose_name=_("file"))
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100, verbose_name=_("content type"))
    size_bytes = models.PositiveIntegerField(verbose_name=_("size (bytes)"))
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("uploaded at"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__isnull=False, petition__isnull=True)
                | Q(progress__isnull=True, petition__isnull=False),
                name="oversight_attachment_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


class SupervisionOrder(TimeStamped):
    """A supervision order (督办单) to a unit about an overdue task, milestone, petition or case, with a
    reply deadline and the unit's reply."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    unit = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="oversight_orders", verbose_name=_("responsible unit")
    )
    subject = models.CharField(_("subject"), max_length=16, choices=OrderSubject.choices)
    task = models.ForeignKey(
        Task,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("rectification task"),
    )
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.PROTECT, related_name="orders", verbose_name=_("milestone")
    )
    petition = models.ForeignKey(
        Petition, null=True, blank=True, on_delete=models.PROTECT, related_name="orders", verbose_name=_("petition")
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("case")
    )
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("division"))
    text = models.TextField(_("requirement"), max_length=4000)
    issued_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by"))
    issued_at = models.DateTimeField(_("issued at"))
    reply_due = models.DateField(_("reply due"))
    reply = models.TextField(_("reply"), max_length=4000, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "id"]
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        constraints = [
            models.CheckConstraint(condition=_in("subject", OrderSubject.values), name="oversight_order_subject_valid"),
            # Exactly the item its subject names.
            models.CheckConstraint(
                condition=(
                    Q(
                        subject=OrderSubject.TASK,
                        task__isnull=False,
                        milestone__isnull=True,
                        petition__isnull=True,
                        case__isnull=True,
                    )
                )
                | Q(
                    subject=OrderSubject.MILESTONE,
                    task__isnull=True,
                    milestone__isnull=False,
                    petition__isnull=True,
                    case__isnull=True,
                )
                | Q(
                    subject=OrderSubject.PETITION,
                    task__isnull=True,
                    milestone__isnull=True,
                    petition__isnull=False,
                    case__isnull=True,
                )
                | Q(
                    subject=OrderSubject.CASE,
                    task__isnull=True,
                    milestone__isnull=True,
                    petition__isnull=True,
                    case__isnull=False,
                ),
                name="oversight_order_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Circular(models.Model):
    """A circular (通报): the overdue items by unit for a period, generated from the ledger as a PDF.
    Signed, it never changes (services answer 409; a database trigger refuses UPDATE and DELETE)."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    first_date = models.DateField(_("period start"))
    last_date = models.DateField(_("period end"))
    division_code = models.CharField(_("division"), max_length=12, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=CircularStatus.choices, default=CircularStatus.DRAFT)
    figures = models.JSONField(_("content"), default=dict)
    pdf = models.BinaryField(verbose_name=_("PDF file"))
    pdf_sha256 = models.CharField(max_length=64, verbose_name=_("PDF digest (SHA-256)"))
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))
    signed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("circular")
        verbose_name_plural = _("circulars")
        constraints = [
            models.CheckConstraint(condition=_in("status", CircularStatus.values), name="oversight_circular_status"),
            models.CheckConstraint(condition=Q(last_date__gte=models.F("first_date")), name="oversight_circular_dates"),
        ]

    def __str__(self) -> str:
        return self.number


class Recheck(models.Model):
    """A signed-off task or closed petition drawn at random for a look-back recheck (回头看), and what
    it found. A relapse reopens the item and is counted."""

    batch = models.CharField(_("batch"), max_length=40, db_index=True)
    item = models.CharField(_("item"), max_length=8, choices=RecheckItem.choices)
    task = models.ForeignKey(
        Task,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rechecks",
        verbose_name=_("rectification task"),
    )
    petition = models.ForeignKey(
        Petition, null=True, blank=True, on_delete=models.PROTECT, related_name="rechecks", verbose_name=_("petition")
    )
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("division"))
    sampled_at = models.DateTimeField(verbose_name=_("sampled at"))
    sampled_by = models.ForeignKey(
        USER, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("sampled by")
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=RecheckOutcome.choices, default=RecheckOutcome.PENDING
    )
    checked_on = models.DateField(_("checked on"), null=True, blank=True)
    checked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("checked by")
    )
    note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-sampled_at", "id"]
        verbose_name = _("look-back recheck")
        verbose_name_plural = _("look-back rechecks")
        constraints = [
            models.CheckConstraint(
                condition=Q(item=RecheckItem.TASK, task__isnull=False, petition__isnull=True)
                | Q(item=RecheckItem.PETITION, task__isnull=True, petition__isnull=False),
                name="oversight_recheck_one_item",
            ),
            models.CheckConstraint(
                condition=(Q(outcome=RecheckOutcome.PENDING) & Q(checked_on__isnull=True))
                | (~Q(outcome=RecheckOutcome.PENDING) & Q(checked_on__isnull=False)),
                name="oversight_recheck_checked_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch}: {self.item}"
