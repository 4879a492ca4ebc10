"""Closed sets of the patrols app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from places.choices import ChiefLevel

__all__ = [
    "CaseCategory",
    "CaseClosure",
    "CaseSource",
    "CaseStatus",
    "ChiefLevel",
    "FrequencyPeriod",
    "PatrolFlag",
    "PatrolMode",
    "PatrolStatus",
    "PhotoFlag",
    "RecheckOutcome",
    "ReviewStatus",
    "ValidityReason",
]


class PatrolMode(models.TextChoices):
    """How the chief moved (SPEC: foot, vehicle, boat, drone); each mode has its own speed limit."""

    FOOT = "foot", _("on foot")
    VEHICLE = "vehicle", _("vehicle")
    BOAT = "boat", _("boat")
    DRONE = "drone", _("drone")


class PatrolStatus(models.TextChoices):
    """A patrol sent in parts is in progress until its end is posted; a one-shot post is completed."""

    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")


class PatrolFlag(models.TextChoices):
    """Why a patrol needs a reviewer's eye. Flags never refuse a patrol: they only ask for review."""

    TELEPORT = "teleport", _("teleport jump")
    STATIONARY = "stationary", _("stationary")
    OUTSIDE_REACH = "outside_reach", _("mostly outside the reach")
    OVERLAP = "overlap", _("overlaps another patrol of the chief")
    AUTO_ENDED = "auto_ended", _("never ended by the phone; closed at its last point")
    ABANDONED = "abandoned", _("never ended by the phone; its points make no track")


class ValidityReason(models.TextChoices):
    """A rule of the validity table (domain.md §4.2) that a patrol failed."""

    DURATION = "duration_below_minimum", _("shorter than the minimum duration")
    LENGTH = "length_below_minimum", _("shorter than the minimum length")
    GAP = "gap_below_minimum", _("too soon after the previous patrol")


class ReviewStatus(models.TextChoices):
    """A reviewer's decision on a flagged patrol. Unflagged patrols need none."""

    NOT_REQUIRED = "not_required", _("not required")
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class CaseCategory(models.TextChoices):
    """The four disorders (四乱, 办河湖〔2018〕245号, domain.md §4.4) and other problems."""

    OCCUPATION = "occupation", _("illegal occupation")
    EXTRACTION = "extraction", _("illegal extraction")
    DUMPING = "dumping", _("illegal dumping")
    CONSTRUCTION = "construction", _("illegal construction")
    OTHER = "other", _("other problem")


class CaseSource(models.TextChoices):
    """Where a case came from (domain.md §4.5: 巡河/公众/督查/遥感)."""

    PATROL = "patrol", _("found on a patrol")
    COMPLAINT = "complaint", _("public complaint")
    INSPECTION = "inspection", _("inspection")
    REMOTE_SENSING = "remote_sensing", _("remote sensing")


class CaseStatus(models.TextChoices):
    """The case workflow (domain.md §4.5): reported → assigned → rectifying → submitted → verified →
    closed; rejection goes back to rectifying; cleared on the spot goes reported → closed."""

    REPORTED = "reported", _("reported")
    ASSIGNED = "assigned", _("assigned")
    RECTIFYING = "rectifying", _("rectifying")
    SUBMITTED = "submitted", _("submitted for check")
    VERIFIED = "verified", _("verified")
    CLOSED = "closed", _("closed")


class CaseClosure(models.TextChoices):
    """How a closed case was closed: after verification, or cleared on the spot (立查立清)."""

    VERIFIED = "verified", _("closed after verification")
    ON_SPOT = "on_spot", _("cleared on the spot")


class RecheckOutcome(models.TextChoices):
    """The result of a recheck (回头看) of a closed case."""

    PENDING = "pending", _("recheck pending")
    CONFIRMED = "confirmed", _("still resolved")
    RELAPSED = "relapsed", _("problem came back")


class PhotoFlag(models.TextChoices):
    """A photo whose EXIF disagrees with the patrol or the case (flagged, never refused)."""

    TIME_MISMATCH = "time_mismatch", _("taken outside the patrol's time")
    POSITION_MISMATCH = "position_mismatch", _("taken away from the track or case")


class FrequencyPeriod(models.TextChoices):
    """The period a frequency rule counts patrols in (domain.md §4.2 and §6: weeks, 旬, months…)."""

    WEEK = "week", _("week (Monday to Sunday)")
    TEN_DAY = "ten_day", _("ten-day period")
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    HALF = "half", _("half year")
    YEAR = "year", _("year")
