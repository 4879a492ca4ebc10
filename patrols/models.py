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
from django.utils.translation import gettext_lazy as _

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
from places.models import Lake, Reach

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


# A patrol, a case and a litter record sit on exactly one water body: a river reach or a lake
# (reservoir). The database refuses both or neither.
_REACH_XOR_LAKE = (Q(reach__isnull=False) & Q(lake__isnull=True)) | (Q(reach__isnull=True) & Q(lake__isnull=False))


def _lake_fk(related_name: str) -> Any:
    return models.ForeignKey(
        Lake,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=_("lake/reservoir"),
    )


class OnWaterBody:
    """What a row on a reach or a lake offers, whichever it is on."""

    @property
    def site(self: Any) -> Any:
        """The reach or the lake the row is on (a Reach or a Lake: both have code, name, division)."""
        return self.reach if self.reach_id is not None else self.lake

    @property
    def site_kind(self: Any) -> str:
        return "reach" if self.reach_id is not None else "lake"


class Patrol(OnWaterBody, models.Model):
    """One patrol (巡河, on a lake 巡湖) of a chief on a reach or a lake: when, how, with whom, and the GPS track.

    ``raw_track`` and ``raw_times_ms`` are the positions and times as received (converted to WGS84);
    the cleaned track the distance is measured on is the raw track without ``dropped_points``, split
    into parts where the phone's position jumped (``part_starts``; see ``cleaned_track``). Person-times
    are the chief plus the companions, counted once per patrol: the distance is never multiplied by
    them.
    """

    id = models.UUIDField(_("id"), primary_key=True, help_text="chosen by the phone app")
    chief = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("chief")
    )
    reach = models.ForeignKey(
        Reach, null=True, blank=True, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("reach")
    )
    lake = _lake_fk("patrols")
    level = models.CharField(_("chief level"), max_length=16, choices=ChiefLevel.choices)
    status = models.CharField(_("status"), max_length=16, choices=PatrolStatus.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=PatrolMode.choices)
    companions = models.PositiveSmallIntegerField(_("companions"), default=0)
    person_times = models.PositiveSmallIntegerField(_("person-times"), default=1)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    input_crs = models.CharField(_("input CRS"), max_length=16, choices=CRS_CHOICES, default=InputCRS.WGS84.value)

    # Every geometry keeps its spatial index: an index-less geometry column breaks SpatiaLite table
    # rebuilds in later migrations (Django drops its idx_ table unconditionally), and a GiST insert
    # costs only the line's bounding box. Map layers and ?bbox= use the preview's.
    raw_track = models.LineStringField(_("raw track"), srid=WGS84_SRID, null=True, blank=True)
    raw_times_ms = MillisecondsField(
        _("raw times"), null=True, blank=True, help_text="milliseconds after started_at, one per raw point"
    )
    track_preview = models.MultiLineStringField(_("track preview"), srid=WGS84_SRID, null=True, blank=True)
    # The cleaned track is the raw track without the dropped points, split where each part starts: kept
    # as indices rather than as a second 2,000-point geometry (half the bytes of every insert);
    # `cleaned_track` rebuilds it.
    dropped_points = models.JSONField(_("dropped points"), default=list, blank=True, help_text="raw indices")
    part_starts = models.JSONField(
        _("part starts"), default=list, blank=True, help_text="raw index of each cleaned part's first point"
    )
    points_received = models.PositiveIntegerField(_("points received"), default=0)
    points_kept = models.PositiveIntegerField(_("points kept"), default=0)

    distance_m = models.FloatField(_("distance (m)"), default=0)
    track_duration_s = models.FloatField(_("track duration (s)"), default=0)
    coverage = models.FloatField(_("coverage"), null=True, blank=True, help_text="share of the reach's length")
    inside_share = models.FloatField(_("share inside the reach buffer"), null=True, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    valid = models.BooleanField(_("valid"), default=False)
    invalid_reasons = models.JSONField(_("invalid reasons"), default=list, blank=True)

    review_status = models.CharField(
        _("review"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.NOT_REQUIRED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))
    review_note = models.CharField(_("review note"), max_length=500, blank=True)

    body_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="hash of the request body as received",
        verbose_name=_("request body SHA-256"),
    )
    content_sha256 = models.CharField(
        max_length=64, blank=True, help_text="hash of the request's content", verbose_name=_("content SHA-256")
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))
    updated_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("updated at"))

    class Meta:
        ordering = ["-started_at", "id"]
        verbose_name = _("patrol record")
        verbose_name_plural = _("patrols")
        indexes = [
            models.Index(fields=["chief", "started_at"], name="patrols_patrol_chief_start"),
            models.Index(fields=["reach", "started_at"], name="patrols_patrol_reach_start"),
            models.Index(fields=["lake", "started_at"], name="patrols_patrol_lake_start"),
            models.Index(fields=["started_at"], name="patrols_patrol_start"),
            # A resend is answered by its body hash alone, before any parsing.
            models.Index(fields=["body_sha256"], name="patrols_patrol_body_hash"),
        ]
        constraints = [
            models.CheckConstraint(condition=_REACH_XOR_LAKE, name="patrols_patrol_reach_xor_lake"),
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
        where = self.reach_id if self.reach_id is not None else f"lake {self.lake_id}"
        return f"{self.chief} @ {where} {self.started_at:%Y-%m-%d}"

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

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("patrol"))
    seq = models.PositiveIntegerField(_("sequence number"), validators=[MaxValueValidator(100_000)])
    coordinates = models.JSONField(_("positions as received"))
    times = models.JSONField(_("times as received"))
    body_sha256 = models.CharField(max_length=64, verbose_name=_("request body SHA-256"))
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))

    class Meta:
        ordering = ["patrol", "seq"]
        verbose_name = _("patrol chunk")
        verbose_name_plural = _("patrol chunks")
        constraints = [models.UniqueConstraint(fields=["patrol", "seq"], name="patrols_chunk_unique_seq")]

    def __str__(self) -> str:
        return f"{self.patrol_id}#{self.seq}"


class Case(OnWaterBody, models.Model):
    """A problem on a reach or a lake (四乱 or other), from a patrol or a complaint, and where it stands in the
    workflow reported → assigned → rectifying → submitted → verified → closed (domain.md §4.5)."""

    id = models.UUIDField(_("id"), primary_key=True, help_text="chosen by the phone app or the office")
    category = models.CharField(_("category"), max_length=16, choices=CaseCategory.choices)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.REPORTED)
    source = models.CharField(_("source"), max_length=16, choices=CaseSource.choices)
    reach = models.ForeignKey(
        Reach, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name=_("reach")
    )
    lake = _lake_fk("cases")
    location = models.PointField(_("location"), srid=WGS84_SRID)
    description = models.TextField(_("description"), max_length=2000)
    patrol = models.ForeignKey(
        Patrol, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name=_("patrol")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reported_cases",
        verbose_name=_("reporter"),
    )
    found_at = models.DateTimeField(_("found at"))
    responsible_unit = models.CharField(_("responsible unit"), max_length=200, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("assigned at"))
    rectifying_at = models.DateTimeField(null=True, blank=True, verbose_name=_("rectification started at"))
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("submitted at"))
    verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("verified at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    closed_via = models.CharField(_("closed via"), max_length=16, choices=CaseClosure.choices, blank=True)
    overdue_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    body_sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("request body SHA-256"))
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))
    updated_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("updated at"))

    class Meta:
        ordering = ["-found_at", "id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["status", "deadline"], name="patrols_case_status_deadline"),
            models.Index(fields=["reach", "found_at"], name="patrols_case_reach_found"),
            models.Index(fields=["lake", "found_at"], name="patrols_case_lake_found"),
            models.Index(fields=["reporter", "found_at"], name="patrols_case_reporter_found"),
        ]
        constraints = [
            models.CheckConstraint(condition=_REACH_XOR_LAKE, name="patrols_case_reach_xor_lake"),
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

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices, blank=True, verbose_name=_("from status"))
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices, verbose_name=_("to status"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor")
    )
    actor_label = models.CharField(max_length=150, verbose_name=_("actor (name)"))
    at = models.DateTimeField(verbose_name=_("at"))
    note = models.CharField(max_length=1000, blank=True, verbose_name=_("note"))

    class Meta:
        ordering = ["case", "at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status or '∅'} → {self.to_status}"


def photo_upload_path(instance: CasePhoto, filename: str) -> str:
    return f"patrols/photos/{instance.sha256[:2]}/{filename}"


class CasePhoto(models.Model):
    """A photo attached to a case, stored once under its SHA-256 and never changed. EXIF time and
    position, when the photo has them, are kept and compared with the patrol or the case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="photos", verbose_name=_("case"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    file = models.FileField(upload_to=photo_upload_path, max_length=200, verbose_name=_("file"))
    content_type = models.CharField(max_length=32, verbose_name=_("content type"))
    size_bytes = models.PositiveIntegerField(verbose_name=_("size (bytes)"))
    width = models.PositiveIntegerField(verbose_name=_("width (px)"))
    height = models.PositiveIntegerField(verbose_name=_("height (px)"))
    stage = models.CharField(_("stage"), max_length=16, choices=CaseStatus.choices)
    taken_at = models.DateTimeField(_("EXIF time"), null=True, blank=True)
    position = models.PointField(_("EXIF position"), srid=WGS84_SRID, null=True, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("uploaded at"))

    class Meta:
        ordering = ["case", "uploaded_at", "id"]
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")
        constraints = [models.UniqueConstraint(fields=["case", "sha256"], name="patrols_photo_unique_per_case")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.sha256[:12]}"


class CaseRecheck(models.Model):
    """A closed case drawn at random for a recheck (回头看), and what the recheck found."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="rechecks", verbose_name=_("case"))
    batch = models.CharField(_("batch"), max_length=64)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=RecheckOutcome.choices, default=RecheckOutcome.PENDING
    )
    sampled_at = models.DateTimeField(verbose_name=_("sampled at"))
    sampled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("sampled by")
    )
    checked_on = models.DateField(null=True, blank=True, verbose_name=_("checked on"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("checked by"),
    )
    note = models.CharField(max_length=1000, blank=True, verbose_name=_("note"))

    class Meta:
        ordering = ["-sampled_at", "id"]
        verbose_name = _("case recheck")
        verbose_name_plural = _("case rechecks")
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


class LitterRemoval(OnWaterBody, models.Model):
    """Litter removed from a reach or a lake on a day (河湖垃圾清理), in tonnes, optionally on a patrol.

    ``client_id`` is the phone's UUID for the record, when it sends one: a phone that lost the answer
    resends the same record, which must not be counted twice (the tonnes add up in reports)."""

    client_id = models.UUIDField(
        _("client id"), null=True, blank=True, unique=True, editable=False, help_text="chosen by the phone app"
    )
    reach = models.ForeignKey(
        Reach, null=True, blank=True, on_delete=models.PROTECT, related_name="litter", verbose_name=_("reach")
    )
    lake = _lake_fk("litter")
    removed_on = models.DateField(_("removed on"))
    # Decimal: the bureau reports the year's total to 0.1 t (12.2 t in 2024) and sums must be exact.
    tonnes = models.DecimalField(_("tonnes"), max_digits=9, decimal_places=3)
    patrol = models.ForeignKey(
        Patrol, null=True, blank=True, on_delete=models.PROTECT, related_name="litter", verbose_name=_("patrol")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))

    class Meta:
        ordering = ["-removed_on", "-id"]
        verbose_name = _("litter removal")
        verbose_name_plural = _("litter removals")
        indexes = [
            models.Index(fields=["reach", "removed_on"], name="patrols_litter_reach_day"),
            models.Index(fields=["lake", "removed_on"], name="patrols_litter_lake_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(tonnes__gt=0), name="patrols_litter_tonnes_positive"),
            models.CheckConstraint(condition=_REACH_XOR_LAKE, name="patrols_litter_reach_xor_lake"),
        ]

    def __str__(self) -> str:
        where = self.reach_id if self.reach_id is not None else f"lake {self.lake_id}"
        return f"{where} {self.removed_on}: {self.tonnes} t"


class PatrolValidityRule(models.Model):
    """What makes a patrol count, per jurisdiction and chief level (domain.md §4.2: Akqi ≥ 30 min for
    county, township and village chiefs; ≥ 2 km for township and village). The most specific
    jurisdiction containing the reach wins; an empty jurisdiction is the default everywhere."""

    jurisdiction = models.CharField(
        _("jurisdiction"),
        max_length=12,
        blank=True,
        validators=[division_code_validator],
        help_text="GB/T 2260 code; empty = everywhere",
    )
    level = models.CharField(_("chief level"), max_length=16, choices=ChiefLevel.choices)
    min_duration_s = models.PositiveIntegerField(_("minimum duration (s)"), default=0)
    min_length_m = models.PositiveIntegerField(_("minimum length (m)"), default=0)
    min_gap_hours = models.PositiveIntegerField(
        _("minimum gap (h)"),
        null=True,
        blank=True,
        help_text="since the chief's previous valid patrol; empty = no rule (Akqi: 96 h for self-initiated patrols)",
    )
    source = models.CharField(_("basis"), max_length=200, blank=True)

    class Meta:
        ordering = ["jurisdiction", "level"]
        verbose_name = _("patrol validity rule")
        verbose_name_plural = _("patrol validity rules")
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
        _("jurisdiction"),
        max_length=12,
        blank=True,
        validators=[division_code_validator],
        help_text="GB/T 2260 code; empty = everywhere",
    )
    level = models.CharField(_("chief level"), max_length=16, choices=ChiefLevel.choices)
    period = models.CharField(_("period"), max_length=16, choices=FrequencyPeriod.choices)
    required_count = models.PositiveSmallIntegerField(
        _("required patrols"), validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    season_start_month = models.PositiveSmallIntegerField(
        _("first month"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    season_end_month = models.PositiveSmallIntegerField(
        _("last month"), default=12, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    source = models.CharField(_("basis"), max_length=200, blank=True)

    class Meta:
        ordering = ["jurisdiction", "level", "season_start_month"]
        verbose_name = _("patrol frequency rule")
        verbose_name_plural = _("patrol frequency rules")
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
