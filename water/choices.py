"""Closed sets of the water app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SourceType(models.TextChoices):
    """Where an intake takes its water from (domain.md §2.6 "Source")."""

    RIVER = "river", _("river")
    RESERVOIR = "reservoir", _("reservoir")
    LAKE = "lake", _("lake")
    GROUNDWATER = "groundwater", _("groundwater")


SURFACE_SOURCES = frozenset({SourceType.RIVER, SourceType.RESERVOIR, SourceType.LAKE})


class WaterUse(models.TextChoices):
    """Main use of an intake (domain.md §2.6 "Capacity and use", census form P401-1)."""

    SUPPLY = "supply", _("urban/rural supply")
    INDUSTRY = "industry", _("general industry")
    POWER = "power", _("thermal/nuclear power")
    AGRICULTURE = "agriculture", _("agriculture")
    ECOLOGY = "ecology", _("ecology")
    OTHER = "other", _("other")


class WithdrawalMode(models.TextChoices):
    GRAVITY = "gravity", _("gravity")
    PUMPED = "pumped", _("pumped")


class Protocol(models.TextChoices):
    """How a meter's RTU reports (domain.md §3.1); HTTPS for meters that post to the batch API."""

    SZY206 = "szy206", "SZY 206-2016"
    SL427 = "sl427", "SL/T 427-2021"
    SL651 = "sl651", "SL 651-2014"
    HTTPS = "https", _("HTTPS batch API")


class ReadingSource(models.TextChoices):
    """How a reading arrived. Install and removal readings are the register at a meter's installation
    and removal, written by the meter services; they bound the meter's series but are not reports."""

    RTU = "rtu", _("RTU")
    API = "api", _("API")
    CSV = "csv", _("CSV")
    MANUAL = "manual", _("manual")
    INSTALL = "install", _("installation")
    REMOVAL = "removal", _("removal")
    # Fetched from the RTU's own storage by the gateway's period-data query after a gap (issue 18).
    RTU_BACKFILL = "rtu_backfill", _("RTU backfill")


NOT_REPORTS = frozenset({ReadingSource.INSTALL, ReadingSource.REMOVAL})


class Review(models.TextChoices):
    """A reviewer's decision on a reading flagged by the volume engine (water.volume_engine)."""

    NONE = "", pgettext_lazy("reading review", "not reviewed")
    ACCEPTED = "accepted", pgettext_lazy("reading review", "accepted")
    REJECTED = "rejected", pgettext_lazy("reading review", "rejected")


class Provenance(models.TextChoices):
    """Where a volume figure comes from (SPEC "Volume engine")."""

    MEASURED = "measured", _("measured")
    ESTIMATED = "estimated", _("estimated")
    CORRECTED = "corrected", _("corrected")


class VolumeInterval(models.TextChoices):
    DAY = "day", pgettext_lazy("volume interval", "day")
    MONTH = "month", _("month")
    QUARTER = "quarter", pgettext_lazy("volume interval", "quarter")


class AlertKind(models.TextChoices):
    """What a monitoring alert is about (SPEC "Online monitoring")."""

    METER_OFFLINE = "meter_offline", _("meter offline")
    FLAGGED_READING = "flagged_reading", _("flagged reading")
    # xgettext reads "% o" as a format directive; these labels are never %-formatted.
    # xgettext:no-python-format
    PLAN_80 = "plan_80", _("use at 80% of plan")
    # xgettext:no-python-format
    PLAN_100 = "plan_100", _("use at 100% of plan")


class AlertState(models.TextChoices):
    OPEN = "open", _("open")
    RESOLVED = "resolved", _("resolved")


class MeterState(models.TextChoices):
    """A meter's monitoring state at an instant (water.monitoring)."""

    ONLINE = "online", _("online")
    OFFLINE = "offline", _("offline")
    REMOVED = "removed", _("removed")


class TelemetryProtocol(models.TextChoices):
    """The codec family a station's frames were read with (water.telemetry; SL/T 427 frames are 68H frames)."""

    SZY206 = "szy206", "SZY 206 / SL/T 427 (68H)"
    SL651 = "sl651", "SL 651-2014 (7E7E)"


class CommandKind(models.TextChoices):
    """What the centre asks a station (issue 18 downlink; SL 651 function / SZY 206 AFN in brackets)."""

    REALTIME = "realtime", _("real-time query (37H / B0H)")
    PERIOD = "period", _("period query (38H)")
    SET_CLOCK = "set_clock", _("set clock (4AH / 11H)")
    READ_CLOCK = "read_clock", _("read clock (51H)")
    STATUS = "status", _("status and alarm (46H / 5EH)")


class CommandState(models.TextChoices):
    """A command's life: queued → sent → answered, or back to queued after a timeout while attempts remain,
    then failed; cancelled by a reviewer while not yet answered."""

    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    ANSWERED = "answered", _("answered")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


OPEN_COMMAND_STATES = frozenset({CommandState.QUEUED, CommandState.SENT})


class CommandSource(models.TextChoices):
    """Who queued a command: a person, the gateway's gap backfill, or the clock-drift rule."""

    MANUAL = "manual", _("manual")
    BACKFILL = "backfill", _("gap backfill")
    CLOCK = "clock", _("clock drift")
