"""Closed sets of the patrols app."""

from __future__ import annotations

from django.db import models

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

    FOOT = "foot", "步行 on foot"
    VEHICLE = "vehicle", "车辆 vehicle"
    BOAT = "boat", "船只 boat"
    DRONE = "drone", "无人机 drone"


class PatrolStatus(models.TextChoices):
    """A patrol sent in parts is in progress until its end is posted; a one-shot post is completed."""

    IN_PROGRESS = "in_progress", "进行中 in progress"
    COMPLETED = "completed", "已完成 completed"


class PatrolFlag(models.TextChoices):
    """Why a patrol needs a reviewer's eye. Flags never refuse a patrol: they only ask for review."""

    TELEPORT = "teleport", "轨迹跳变 teleport jump"
    STATIONARY = "stationary", "原地不动 stationary"
    OUTSIDE_REACH = "outside_reach", "偏离河段 mostly outside the reach"
    OVERLAP = "overlap", "时间重叠 overlaps another patrol of the chief"
    AUTO_ENDED = "auto_ended", "系统结束 never ended by the phone; closed at its last point"
    ABANDONED = "abandoned", "未结束 never ended by the phone; its points make no track"


class ValidityReason(models.TextChoices):
    """A rule of the validity table (domain.md §4.2) that a patrol failed."""

    DURATION = "duration_below_minimum", "时长不足 shorter than the minimum duration"
    LENGTH = "length_below_minimum", "里程不足 shorter than the minimum length"
    GAP = "gap_below_minimum", "间隔不足 too soon after the previous patrol"


class ReviewStatus(models.TextChoices):
    """A reviewer's decision on a flagged patrol. Unflagged patrols need none."""

    NOT_REQUIRED = "not_required", "无需审核 not required"
    PENDING = "pending", "待审核 pending"
    ACCEPTED = "accepted", "已认可 accepted"
    REJECTED = "rejected", "不认可 rejected"


class CaseCategory(models.TextChoices):
    """The four disorders (四乱, 办河湖〔2018〕245号, domain.md §4.4) and other problems."""

    OCCUPATION = "occupation", "乱占 illegal occupation"
    EXTRACTION = "extraction", "乱采 illegal extraction"
    DUMPING = "dumping", "乱堆 illegal dumping"
    CONSTRUCTION = "construction", "乱建 illegal construction"
    OTHER = "other", "其他 other problem"


class CaseSource(models.TextChoices):
    """Where a case came from (domain.md §4.5: 巡河/公众/督查/遥感)."""

    PATROL = "patrol", "巡河发现 found on a patrol"
    COMPLAINT = "complaint", "群众举报 public complaint"
    INSPECTION = "inspection", "督查 inspection"
    REMOTE_SENSING = "remote_sensing", "遥感 remote sensing"


class CaseStatus(models.TextChoices):
    """The case workflow (domain.md §4.5): reported → assigned → rectifying → submitted → verified →
    closed; rejection goes back to rectifying; cleared on the spot goes reported → closed."""

    REPORTED = "reported", "已上报 reported"
    ASSIGNED = "assigned", "已交办 assigned"
    RECTIFYING = "rectifying", "整改中 rectifying"
    SUBMITTED = "submitted", "待验收 submitted for check"
    VERIFIED = "verified", "已验收 verified"
    CLOSED = "closed", "已销号 closed"


class CaseClosure(models.TextChoices):
    """How a closed case was closed: after verification, or cleared on the spot (立查立清)."""

    VERIFIED = "verified", "验收销号 closed after verification"
    ON_SPOT = "on_spot", "立查立清 cleared on the spot"


class RecheckOutcome(models.TextChoices):
    """The result of a recheck (回头看) of a closed case."""

    PENDING = "pending", "待复查 pending"
    CONFIRMED = "confirmed", "整改到位 still resolved"
    RELAPSED = "relapsed", "问题反弹 problem came back"


class PhotoFlag(models.TextChoices):
    """A photo whose EXIF disagrees with the patrol or the case (flagged, never refused)."""

    TIME_MISMATCH = "time_mismatch", "拍摄时间不符 taken outside the patrol's time"
    POSITION_MISMATCH = "position_mismatch", "拍摄位置不符 taken away from the track or case"


class FrequencyPeriod(models.TextChoices):
    """The period a frequency rule counts patrols in (domain.md §4.2 and §6: weeks, 旬, months…)."""

    WEEK = "week", "周 week (Monday to Sunday)"
    TEN_DAY = "ten_day", "旬 ten-day period"
    MONTH = "month", "月 month"
    QUARTER = "quarter", "季度 quarter"
    HALF = "half", "半年 half year"
    YEAR = "year", "年 year"
