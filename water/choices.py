"""Closed sets of the water app."""

from django.db import models


class SourceType(models.TextChoices):
    """Where an intake takes its water from (domain.md §2.6 "Source")."""

    RIVER = "river", "河流 river"
    RESERVOIR = "reservoir", "水库 reservoir"
    LAKE = "lake", "湖泊 lake"
    GROUNDWATER = "groundwater", "地下水 groundwater"


SURFACE_SOURCES = frozenset({SourceType.RIVER, SourceType.RESERVOIR, SourceType.LAKE})


class WaterUse(models.TextChoices):
    """Main use of an intake (domain.md §2.6 "Capacity and use", census form P401-1)."""

    SUPPLY = "supply", "城乡供水 urban/rural supply"
    INDUSTRY = "industry", "一般工业 general industry"
    POWER = "power", "火(核)电 thermal/nuclear power"
    AGRICULTURE = "agriculture", "农业 agriculture"
    ECOLOGY = "ecology", "生态 ecology"
    OTHER = "other", "其他 other"


class WithdrawalMode(models.TextChoices):
    GRAVITY = "gravity", "自流 gravity"
    PUMPED = "pumped", "提水 pumped"


class Protocol(models.TextChoices):
    """How a meter's RTU reports (domain.md §3.1); HTTPS for meters that post to the batch API."""

    SZY206 = "szy206", "SZY 206-2016"
    SL427 = "sl427", "SL/T 427-2021"
    SL651 = "sl651", "SL 651-2014"
    HTTPS = "https", "HTTPS 批量接口 batch API"


class ReadingSource(models.TextChoices):
    """How a reading arrived. Install and removal readings are the register at a meter's installation
    and removal, written by the meter services; they bound the meter's series but are not reports."""

    RTU = "rtu", "遥测 RTU"
    API = "api", "接口 API"
    CSV = "csv", "文件 CSV"
    MANUAL = "manual", "人工 manual"
    INSTALL = "install", "安装读数 installation"
    REMOVAL = "removal", "拆除读数 removal"
    # Fetched from the RTU's own storage by the gateway's period-data query after a gap (issue 18).
    RTU_BACKFILL = "rtu_backfill", "遥测补报 RTU backfill"


NOT_REPORTS = frozenset({ReadingSource.INSTALL, ReadingSource.REMOVAL})


class Review(models.TextChoices):
    """A reviewer's decision on a reading flagged by the volume engine (water.volume_engine)."""

    NONE = "", "未审 not reviewed"
    ACCEPTED = "accepted", "确认 accepted"
    REJECTED = "rejected", "剔除 rejected"


class Provenance(models.TextChoices):
    """Where a volume figure comes from (SPEC "Volume engine")."""

    MEASURED = "measured", "实测 measured"
    ESTIMATED = "estimated", "估算 estimated"
    CORRECTED = "corrected", "更正 corrected"


class VolumeInterval(models.TextChoices):
    DAY = "day", "日 day"
    MONTH = "month", "月 month"
    QUARTER = "quarter", "季 quarter"


class AlertKind(models.TextChoices):
    """What a monitoring alert is about (SPEC "Online monitoring")."""

    METER_OFFLINE = "meter_offline", "设备离线 meter offline"
    FLAGGED_READING = "flagged_reading", "读数待审 flagged reading"
    PLAN_80 = "plan_80", "用水达计划80% use at 80 % of plan"
    PLAN_100 = "plan_100", "用水超计划 use at 100 % of plan"


class AlertState(models.TextChoices):
    OPEN = "open", "未解除 open"
    RESOLVED = "resolved", "已解除 resolved"


class MeterState(models.TextChoices):
    """A meter's monitoring state at an instant (water.monitoring)."""

    ONLINE = "online", "在线 online"
    OFFLINE = "offline", "离线 offline"
    REMOVED = "removed", "已拆除 removed"


class TelemetryProtocol(models.TextChoices):
    """The codec family a station's frames were read with (water.telemetry; SL/T 427 frames are 68H frames)."""

    SZY206 = "szy206", "SZY 206 / SL/T 427 (68H)"
    SL651 = "sl651", "SL 651-2014 (7E7E)"


class CommandKind(models.TextChoices):
    """What the centre asks a station (issue 18 downlink; SL 651 function / SZY 206 AFN in brackets)."""

    REALTIME = "realtime", "召测实时数据 real-time query (37H / B0H)"
    PERIOD = "period", "查询时段数据 period query (38H)"
    SET_CLOCK = "set_clock", "设置时钟 set clock (4AH / 11H)"
    READ_CLOCK = "read_clock", "查询时钟 read clock (51H / 51H)"
    STATUS = "status", "查询状态报警 status and alarm (46H / 5EH)"


class CommandState(models.TextChoices):
    """A command's life: queued → sent → answered, or back to queued after a timeout while attempts remain,
    then failed; cancelled by a reviewer while not yet answered."""

    QUEUED = "queued", "排队 queued"
    SENT = "sent", "已下发 sent"
    ANSWERED = "answered", "已应答 answered"
    FAILED = "failed", "失败 failed"
    CANCELLED = "cancelled", "已取消 cancelled"


OPEN_COMMAND_STATES = frozenset({CommandState.QUEUED, CommandState.SENT})


class CommandSource(models.TextChoices):
    """Who queued a command: a person, the gateway's gap backfill, or the clock-drift rule."""

    MANUAL = "manual", "人工 manual"
    BACKFILL = "backfill", "补报 gap backfill"
    CLOCK = "clock", "校时 clock drift"
