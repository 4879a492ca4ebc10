"""The intake and meter ledgers as export rows (core.exports writes CSV or Excel)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from core.exports import Column
from water.models import Intake, Meter
from water.selectors import online_metering_required

INTAKE_COLUMNS = [
    Column("code", "编码", "Code"),
    Column("name", "名称", "Name", width=28),
    Column("division", "行政区划代码", "Division code"),
    Column("division_name", "行政区", "Division"),
    Column("source_type", "水源类型", "Source type"),
    Column("water_body", "水源名称", "Water body", width=20),
    Column("river", "河流编码", "River code"),
    Column("lake", "湖库编码", "Lake code"),
    Column("lon", "经度", "Longitude", kind="number3"),
    Column("lat", "纬度", "Latitude", kind="number3"),
    Column("main_use", "主要用途", "Main use", width=20),
    Column("withdrawal_mode", "取水方式", "Withdrawal mode"),
    Column("capacity_m3s", "取水能力(m³/s)", "Capacity (m³/s)", kind="number3"),
    Column("permit_number", "取水许可证号", "Permit number", width=20),
    Column("permit_holder", "持证人", "Permit holder", width=24),
    Column("permitted_annual_m3", "许可年取水量(m³)", "Permitted annual volume (m³)", kind="number", width=18),
    Column(
        "permitted_annual_10k_m3", "许可年取水量(万m³)", "Permitted annual volume (10⁴ m³)", kind="number", width=18
    ),
    Column("permit_valid_from", "许可起", "Permit valid from", kind="date"),
    Column("permit_valid_until", "许可止", "Permit valid until", kind="date"),
    Column("online_required", "应在线计量", "Online metering required", kind="bool"),
    Column("meters", "计量设施", "Meters", width=24),
    Column("operators", "取水户账号", "Operators", width=20),
]

METER_COLUMNS = [
    Column("serial", "表号", "Serial"),
    Column("intake", "取水口编码", "Intake code"),
    Column("intake_name", "取水口", "Intake", width=28),
    Column("meter_type", "表型", "Meter type"),
    Column("rtu_address", "遥测站地址", "RTU address"),
    Column("protocol", "规约", "Protocol"),
    Column("decoding_profile", "解码配置", "Decoding profile"),
    Column("register_max_m3", "表码上限(m³)", "Register maximum (m³)", kind="number3"),
    Column("multiplier", "倍率", "Multiplier", kind="number3"),
    Column("expected_interval_s", "报送间隔(s)", "Report interval (s)", kind="int"),
    Column("calibrated_on", "检定日期", "Calibrated on", kind="date"),
    Column("installed_at", "安装时间", "Installed at", kind="datetime", width=18),
    Column("install_reading_m3", "安装读数(m³)", "Register at installation (m³)", kind="number3"),
    Column("removed_at", "拆除时间", "Removed at", kind="datetime", width=18),
    Column("removal_reading_m3", "拆除读数(m³)", "Register at removal (m³)", kind="number3"),
    Column("replaces", "替换的表", "Replaces"),
    Column("device", "设备账号", "Device account"),
]

_TEN_THOUSAND = Decimal(10_000)


def intake_rows(intakes: Iterable[Intake]) -> Iterator[dict[str, Any]]:
    """Rows of the intake ledger (expects meters and operators prefetched)."""
    for i in intakes:
        yield {
            "code": i.code,
            "name": i.name,
            "division": i.division.code,
            "division_name": i.division.name,
            "source_type": i.get_source_type_display(),
            "water_body": i.water_body_name,
            "river": i.river.code if i.river else "",
            "lake": i.lake.code if i.lake else "",
            "lon": i.location.x,
            "lat": i.location.y,
            "main_use": i.get_main_use_display(),
            "withdrawal_mode": i.get_withdrawal_mode_display() if i.withdrawal_mode else "",
            "capacity_m3s": i.capacity_m3s,
            "permit_number": i.permit_number,
            "permit_holder": i.permit_holder,
            "permitted_annual_m3": i.permitted_annual_m3,
            "permitted_annual_10k_m3": (
                i.permitted_annual_m3 / _TEN_THOUSAND if i.permitted_annual_m3 is not None else None
            ),
            "permit_valid_from": i.permit_valid_from,
            "permit_valid_until": i.permit_valid_until,
            "online_required": online_metering_required(i.source_type, i.permitted_annual_m3),
            "meters": "; ".join(m.serial for m in i.meters.all()),
            "operators": "; ".join(sorted(u.username for u in i.operators.all())),
        }


def meter_rows(meters: Iterable[Meter]) -> Iterator[dict[str, Any]]:
    """Rows of the meter ledger (expects intake, device and replaces selected)."""
    for m in meters:
        yield {
            "serial": m.serial,
            "intake": m.intake.code,
            "intake_name": m.intake.name,
            "meter_type": m.meter_type,
            "rtu_address": m.rtu_address,
            "protocol": m.get_protocol_display(),
            "decoding_profile": m.decoding_profile,
            "register_max_m3": m.register_max_m3,
            "multiplier": m.multiplier,
            "expected_interval_s": m.expected_interval_s,
            "calibrated_on": m.calibrated_on,
            "installed_at": m.installed_at,
            "install_reading_m3": m.install_reading_m3,
            "removed_at": m.removed_at,
            "removal_reading_m3": m.removal_reading_m3,
            "replaces": m.replaces.serial if m.replaces else "",
            "device": m.device.username if m.device else "",
        }
