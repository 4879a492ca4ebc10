"""River-chief patrols, four-chaos cases, litter removal, and the rule tables a bureau can edit.

Geometries are WGS84 (SRID 4326, core.geo). Distances are geodesic metres computed by the services
(patrols.track) and stored; the client's figures are never stored. Patrol and case ids are chosen by
the phone (UUIDs), so a resend finds the row it already made.
"""

from __future__ import annotations

from base64 import b64encode
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import GEOSGeometry
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import F, Q
from django.db.models.functions import Now

from accounts.models import division_code_validator
from core.geo import WGS84_SRID, InputCRS
from patrols.choices import (
    CaseCategory,
    CaseClosure,
    CaseSource,
    CaseStatus,
    ChiefLevel,
    FrequencyPeriod,
    PatrolMode,
    PatrolStatus,
    RecheckOutcome,
    ReviewStatus,
)
from patrols.track import cleaned_track_wkb
from places.models import Reach

CRS_CHOICES = [(c.value, c.value) for c in InputCRS]


class MillisecondsField(models.BinaryField):
    """A list of whole milliseconds stored as packed little-endian int64 (8 bytes a value).

    Reads and writes as a Python list of ints, like the JSON list it replaced, but a 2,000-point
    patrol's times are 16 kB of bytes the database copies instead of a 31 kB jsonb it parses
    number by number (half a millisecond of PostgreSQL's CPU per patrol post)."""

    description = "list of milliseconds (packed int64)"

    @staticmethod
    def _unpack(value: Any) -> list[int] | None:
        if value is None or isinstance(value, list):
            return value
        return np.frombuffer(bytes(value), dtype="<i8").tolist()

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[int] | None:
        return self._unpack(value)

    def to_python(self, value: Any) -> list[int] | None:
        if isinstance(value, str):
            value = super().to_python(value)  # base64 text, as serialised by value_to_string
        return self._unpack(value)

    def get_prep_value(self, value: Any) -> bytes | None:
        if value is None or isinstance(value, bytes | memoryview):
            return value if value is None else bytes(value)
        return np.asarray(value, dtype="<i8").tobytes()

    def value_to_string(self, obj: models.Model) -> str:
        packed = self.get_prep_value(self.value_from_object(obj))
        return "" if packed is None else b64encode(packed).decode("ascii")


def _in(field: str, values: list[str]) -> Q:
    return Q(**{f"{field}__in": values})


class Patrol(models.Model):
    """One patrol (巡河) of a chief on a reach: when, how, with whom, and the GPS track.

    ``raw_track`` and ``raw_times_ms`` are the positions and times as received (converted to WGS84);
    the cleaned track the distance is measured on is the raw track without ``dropped_points``, split
    into parts where the phone's position jumped (``part_starts``; see ``cleaned_track``). Person-times
    are the chief plus the companions, counted once per patrol: the distance is never multiplied by
    them.
    """

    id = models.UUIDField("编号 id", primary_key=True, help_text="chosen by the phone app")
    chief = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols", verbose_name="河湖长 chief"
    )
    reach = models.ForeignKey(Reach, on_delete=models.PROTECT, related_name="patrols", verbose_name="河段 reach")
    level = models.CharField("河长级别 chief level", max_length=16, choices=ChiefLevel.choices)
    status = models.CharField("状态 status", max_length=16, choices=PatrolStatus.choices)
    mode = models.CharField("方式 mode", max_length=16, choices=PatrolMode.choices)
    companions = models.PositiveSmallIntegerField("同行人数 companions", default=0)
    person_times = models.PositiveSmallIntegerField("人次 person-times", default=1)
    started_at = models.DateTimeField("开始 started at")
    ended_at = models.DateTimeField("结束 ended at", null=True, blank=True)
    input_crs = models.CharField("坐标系 input CRS", max_length=16, choices=CRS_CHOICES, default=InputCRS.WGS84.value)

    # Every geometry keeps its spatial index: an index-less geometry column breaks SpatiaLite table
    # rebuilds in later migrations (Django drops its idx_ table unconditionally), and a GiST insert
    # costs only the line's bounding box. Map layers and ?bbox= use the preview's.
    raw_track = models.LineStringField("原始轨迹 raw track", srid=WGS84_SRID, null=True, blank=True)
    raw_times_ms = MillisecondsField(
        "原始时间 raw times", null=True, blank=True, help_text="milliseconds after started_at, one per raw point"
    )
    track_preview = models.MultiLineStringField("轨迹概要 track preview", srid=WGS84_SRID, null=True, blank=True)
    # The cleaned track is the raw track without the dropped points, split where each part starts: kept
    # as indices rather than as a second 2,000-point geometry (half the bytes of every insert);
    # `cleaned_track` rebuilds it.
    dropped_points = models.JSONField("剔除点 dropped points", default=list, blank=True, help_text="raw indices")
    part_starts = models.JSONField(
        "分段起点 part starts", default=list, blank=True, help_text="raw index of each cleaned part's first point"
    )
    points_received = models.PositiveIntegerField("接收点数 points received", default=0)
    points_kept = models.PositiveIntegerField("保留点数 points kept", default=0)

    distance_m = models.FloatField("里程 distance (m)", default=0)
    track_duration_s = models.FloatField("轨迹时长 track duration (s)", default=0)
    coverage = models.FloatField("覆盖率 coverage", null=True, blank=True, help_text="share of the reach's length")
    inside_share = models.FloatField("河段内占比 share inside the reach buffer", null=True, blank=True)
    flags = models.JSONField("疑点 flags", default=list, blank=True)
    valid = models.BooleanField("有效 valid", default=False)
    invalid_reasons = models.JSONField("无效原因 invalid reasons", default=list, blank=True)

    review_status = models.CharField(
        "审核 review", max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.NOT_REQUIRED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField("审核意见 review note", max_length=500, blank=True)

    body_sha256 = models.CharField(max_length=64, blank=True, help_text="hash of the request body as received")
    content_sha256 = models.CharField(max_length=64, blank=True, help_text="hash of the request's content")
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["-started_at", "id"]
        verbose_name = "巡河记录 patrol"
        verbose_name_plural = "巡河记录 patrols"
        indexes = [
            models.Index(fields=["chief", "started_at"], name="patrols_patrol_chief_start"),
            models.Index(fields=["reach", "started_at"], name="patrols_patrol_reach_start"),
            models.Index(fields=["started_at"], name="patrols_patrol_start"),
            # A resend is answered by its body hash alone, before any parsing.
            models.Index(fields=["body_sha256"], name="patrols_patrol_body_hash"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("level", ChiefLevel.values), name="patrols_patrol_level_valid"),
            models.CheckConstraint(condition=_in("status", PatrolStatus.values), name="patrols_patrol_status_valid"),
            models.CheckConstraint(condition=_in("mode", PatrolMode.values), name="patrols_patrol_mode_valid"),
            models.CheckConstraint(
                condition=_in("review_status", ReviewStatus.values), name="patrols_patrol_review_valid"
            ),
            models.CheckConstraint(
                condition=Q(person_times=F("companions") + 1), name="patrols_patrol_person_times_is_chief_plus"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")), name="patrols_patrol_end_after"
            ),
            models.CheckConstraint(condition=Q(distance_m__gte=0), name="patrols_patrol_distance_nonneg"),
            models.CheckConstraint(
                condition=Q(coverage__isnull=True) | (Q(coverage__gte=0) & Q(coverage__lte=1)),
                name="patrols_patrol_coverage_share",
            ),
            models.CheckConstraint(
                condition=~Q(status=PatrolStatus.COMPLETED) | (Q(ended_at__isnull=False) & Q(raw_track__isnull=False)),
                name="patrols_patrol_completed_has_track",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chief} @ {self.reach_id} {self.started_at:%Y-%m-%d}"

    @property
    def distance_km(self) -> float:
        return round(self.distance_m / 1000, 3)

    @property
    def cleaned_track(self) -> GEOSGeometry | None:
        """The cleaned track as a MultiLineString (one part per stretch between jumps)."""
        if self.raw_track is None or not self.part_starts:
            return None
        wkb = cleaned_track_wkb(bytes(self.raw_track.wkb), self.dropped_points or [], self.part_starts)
        return GEOSGeometry(memoryview(wkb), srid=WGS84_SRID) if wkb else None


class PatrolChunk(models.Model):
    """A batch of points of a patrol sent in parts, held as received until the patrol's end is
    posted; then the patrol is computed from all chunks exactly as a one-shot post, and they are
    deleted (no per-point rows are kept)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField("序号 sequence number", validators=[MaxValueValidator(100_000)])
    coordinates = models.JSONField("坐标 positions as received")
    times = models.JSONField("时间 times as received")
    body_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["patrol", "seq"]
        verbose_name = "分段轨迹 patrol chunk"
        verbose_name_plural = "分段轨迹 patrol chunks"
        constraints = [models.UniqueConstraint(fields=["patrol", "seq"], name="patrols_chunk_unique_seq")]

    def __str__(self) -> str:
        return f"{self.patrol_id}#{self.seq}"


class Case(models.Model):
    """A problem on a reach (四乱 or other), from a patrol or a complaint, and where it stands in the
    workflow reported → assigned → rectifying → submitted → verified → closed (domain.md §4.5)."""

    id = models.UUIDField("编号 id", primary_key=True, help_text="chosen by the phone app or the office")
    category = models.CharField("类别 category", max_length=16, choices=CaseCategory.choices)
    status = models.CharField("状态 status", max_length=16, choices=CaseStatus.choices, default=CaseStatus.REPORTED)
    source = models.CharField("来源 source", max_length=16, choices=CaseSource.choices)
    reach = models.ForeignKey(Reach, on_delete=models.PROTECT, related_name="cases", verbose_name="河段 reach")
    location = models.PointField("位置 location", srid=WGS84_SRID)
    description = models.TextField("描述 description", max_length=2000)
    patrol = models.ForeignKey(
        Patrol, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name="巡河 patrol"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reported_cases",
        verbose_name="上报人 reporter",
    )
    found_at = models.DateTimeField("发现时间 found at")
    responsible_unit = models.CharField("责任单位 responsible unit", max_length=200, blank=True)
    deadline = models.DateField("整改期限 deadline", null=True, blank=True)
    legal_basis = models.CharField("依据 legal basis", max_length=200, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    rectifying_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_via = models.CharField("销号方式 closed via", max_length=16, choices=CaseClosure.choices, blank=True)
    overdue_at = models.DateTimeField("逾期标记 flagged overdue at", null=True, blank=True)
    body_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["-found_at", "id"]
        verbose_name = "问题 case"
        verbose_name_plural = "问题 cases"
        indexes = [
            models.Index(fields=["status", "deadline"], name="patrols_case_status_deadline"),
            models.Index(fields=["reach", "found_at"], name="patrols_case_reach_found"),
            models.Index(fields=["reporter", "found_at"], name="patrols_case_reporter_found"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("category", CaseCategory.values), name="patrols_case_category_valid"),
            models.CheckConstraint(condition=_in("status", CaseStatus.values), name="patrols_case_status_valid"),
            models.CheckConstraint(condition=_in("source", CaseSource.values), name="patrols_case_source_valid"),
            # A case found on a patrol names it; only such cases do.
            models.CheckConstraint(
                condition=(Q(source=CaseSource.PATROL) & Q(patrol__isnull=False))
                | (~Q(source=CaseSource.PATROL) & Q(patrol__isnull=True)),
                name="patrols_case_patrol_iff_source_patrol",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=CaseStatus.CLOSED) & _in("closed_via", CaseClosure.values) & Q(closed_at__isnull=False)
                )
                | (~Q(status=CaseStatus.CLOSED) & Q(closed_via="")),
                name="patrols_case_closed_has_closure",
            ),
            # Every state after assignment has a responsible unit and a deadline, except a case
            # cleared on the spot, which was never assigned.
            models.CheckConstraint(
                condition=_in("status", [CaseStatus.REPORTED])
                | Q(closed_via=CaseClosure.ON_SPOT)
                | (Q(deadline__isnull=False) & ~Q(responsible_unit="")),
                name="patrols_case_assigned_has_unit_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.id}"


class CaseEvent(models.Model):
    """One step of a case's workflow: who moved it from which state to which, when, and why. The
    audit log holds the same change as row snapshots; this is the history a chief's app shows."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField()
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["case", "at", "id"]
        verbose_name = "问题流转 case event"
        verbose_name_plural = "问题流转 case events"

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status or '∅'} → {self.to_status}"


def photo_upload_path(instance: CasePhoto, filename: str) -> str:
    return f"patrols/photos/{instance.sha256[:2]}/{filename}"


class CasePhoto(models.Model):
    """A photo attached to a case, stored once under its SHA-256 and never changed. EXIF time and
    position, when the photo has them, are kept and compared with the patrol or the case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="photos")
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=photo_upload_path, max_length=200)
    content_type = models.CharField(max_length=32)
    size_bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    stage = models.CharField("环节 stage", max_length=16, choices=CaseStatus.choices)
    taken_at = models.DateTimeField("拍摄时间 EXIF time", null=True, blank=True)
    position = models.PointField("拍摄位置 EXIF position", srid=WGS84_SRID, null=True, blank=True)
    flags = models.JSONField("疑点 flags", default=list, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["case", "uploaded_at", "id"]
        verbose_name = "问题照片 case photo"
        verbose_name_plural = "问题照片 case photos"
        constraints = [models.UniqueConstraint(fields=["case", "sha256"], name="patrols_photo_unique_per_case")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.sha256[:12]}"


class CaseRecheck(models.Model):
    """A closed case drawn at random for a recheck (回头看), and what the recheck found."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="rechecks")
    batch = models.CharField("批次 batch", max_length=64)
    outcome = models.CharField(
        "结果 outcome", max_length=16, choices=RecheckOutcome.choices, default=RecheckOutcome.PENDING
    )
    sampled_at = models.DateTimeField()
    sampled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_on = models.DateField(null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-sampled_at", "id"]
        verbose_name = "回头看 case recheck"
        verbose_name_plural = "回头看 case rechecks"
        constraints = [
            models.UniqueConstraint(fields=["case", "batch"], name="patrols_recheck_once_per_batch"),
            models.CheckConstraint(condition=_in("outcome", RecheckOutcome.values), name="patrols_recheck_outcome"),
            models.CheckConstraint(
                condition=Q(outcome=RecheckOutcome.PENDING) | Q(checked_on__isnull=False),
                name="patrols_recheck_checked_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch}: {self.case_id} ({self.outcome})"


class LitterRemoval(models.Model):
    """Litter removed from a reach on a day (河道垃圾清理), in tonnes, optionally on a patrol.

    ``client_id`` is the phone's UUID for the record, when it sends one: a phone that lost the answer
    resends the same record, which must not be counted twice (the tonnes add up in reports)."""

    client_id = models.UUIDField(
        "客户端编号 client id", null=True, blank=True, unique=True, editable=False, help_text="chosen by the phone app"
    )
    reach = models.ForeignKey(Reach, on_delete=models.PROTECT, related_name="litter", verbose_name="河段 reach")
    removed_on = models.DateField("清理日期 removed on")
    # Decimal: the bureau reports the year's total to 0.1 t (12.2 t in 2024) and sums must be exact.
    tonnes = models.DecimalField("吨 tonnes", max_digits=9, decimal_places=3)
    patrol = models.ForeignKey(
        Patrol, null=True, blank=True, on_delete=models.PROTECT, related_name="litter", verbose_name="巡河 patrol"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField("备注 note", max_length=500, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["-removed_on", "-id"]
        verbose_name = "垃圾清理 litter removal"
        verbose_name_plural = "垃圾清理 litter removals"
        indexes = [models.Index(fields=["reach", "removed_on"], name="patrols_litter_reach_day")]
        constraints = [models.CheckConstraint(condition=Q(tonnes__gt=0), name="patrols_litter_tonnes_positive")]

    def __str__(self) -> str:
        return f"{self.reach_id} {self.removed_on}: {self.tonnes} t"


class PatrolValidityRule(models.Model):
    """What makes a patrol count, per jurisdiction and chief level (domain.md §4.2: Akqi ≥ 30 min for
    county, township and village chiefs; ≥ 2 km for township and village). The most specific
    jurisdiction containing the reach wins; an empty jurisdiction is the default everywhere."""

    jurisdiction = models.CharField(
        "辖区 jurisdiction",
        max_length=12,
        blank=True,
        validators=[division_code_validator],
        help_text="GB/T 2260 code; empty = everywhere",
    )
    level = models.CharField("河长级别 chief level", max_length=16, choices=ChiefLevel.choices)
    min_duration_s = models.PositiveIntegerField("最短时长(秒) minimum duration (s)", default=0)
    min_length_m = models.PositiveIntegerField("最短里程(米) minimum length (m)", default=0)
    min_gap_hours = models.PositiveIntegerField(
        "最短间隔(小时) minimum gap (h)",
        null=True,
        blank=True,
        help_text="since the chief's previous valid patrol; empty = no rule (Akqi: 96 h for self-initiated patrols)",
    )
    source = models.CharField("依据 source", max_length=200, blank=True)

    class Meta:
        ordering = ["jurisdiction", "level"]
        verbose_name = "巡河有效规则 patrol validity rule"
        verbose_name_plural = "巡河有效规则 patrol validity rules"
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "level"], name="patrols_validity_unique"),
            models.CheckConstraint(condition=_in("level", ChiefLevel.values), name="patrols_validity_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction or '*'} {self.level}: ≥{self.min_duration_s}s ≥{self.min_length_m}m"


class PatrolFrequencyRule(models.Model):
    """How many patrols a chief of a level must make per period in a season (domain.md §4.2: Akqi
    township ≥ 1 a month and village ≥ 1 a week from March to December; county ≥ 1 a quarter). A
    level may have several rows for different seasons (months may wrap, e.g. November–February)."""

    jurisdiction = models.CharField(
        "辖区 jurisdiction",
        max_length=12,
        blank=True,
        validators=[division_code_validator],
        help_text="GB/T 2260 code; empty = everywhere",
    )
    level = models.CharField("河长级别 chief level", max_length=16, choices=ChiefLevel.choices)
    period = models.CharField("周期 period", max_length=16, choices=FrequencyPeriod.choices)
    required_count = models.PositiveSmallIntegerField(
        "次数 required patrols", validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    season_start_month = models.PositiveSmallIntegerField(
        "起始月 first month", default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    season_end_month = models.PositiveSmallIntegerField(
        "截止月 last month", default=12, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    source = models.CharField("依据 source", max_length=200, blank=True)

    class Meta:
        ordering = ["jurisdiction", "level", "season_start_month"]
        verbose_name = "巡河频次规则 patrol frequency rule"
        verbose_name_plural = "巡河频次规则 patrol frequency rules"
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "level", "season_start_month"], name="patrols_frequency_unique"
            ),
            models.CheckConstraint(condition=_in("level", ChiefLevel.values), name="patrols_frequency_level_valid"),
            models.CheckConstraint(condition=_in("period", FrequencyPeriod.values), name="patrols_frequency_period"),
            models.CheckConstraint(condition=Q(required_count__gte=1), name="patrols_frequency_count_positive"),
            models.CheckConstraint(
                condition=Q(season_start_month__gte=1, season_start_month__lte=12)
                & Q(season_end_month__gte=1, season_end_month__lte=12),
                name="patrols_frequency_months",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction or '*'} {self.level}: {self.required_count}/{self.period}"

    def in_season(self, month: int) -> bool:
        a, b = self.season_start_month, self.season_end_month
        return a <= month <= b if a <= b else (month >= a or month <= b)
