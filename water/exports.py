"""The intake and meter ledgers as export rows (core.exports writes CSV or Excel)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy

from core.exports import Column
from water.models import Intake, Meter
from water.selectors import online_metering_required

INTAKE_COLUMNS = [
    Column("code", gettext_lazy("Code")),
    Column("name", gettext_lazy("Name"), width=28),
    Column("division", gettext_lazy("Division code")),
    Column("division_name", gettext_lazy("Division")),
    Column("source_type", gettext_lazy("Source type")),
    Column("water_body", gettext_lazy("Water body"), width=20),
    Column("river", gettext_lazy("River code")),
    Column("lake", gettext_lazy("Lake code")),
    Column("lon", gettext_lazy("Longitude"), kind="number3"),
    Column("lat", gettext_lazy("Latitude"), kind="number3"),
    Column("main_use", gettext_lazy("Main use"), width=20),
    Column("withdrawal_mode", gettext_lazy("Withdrawal mode")),
    Column("capacity_m3s", gettext_lazy("Capacity (m³/s)"), kind="number3"),
    Column("permit_number", gettext_lazy("Permit number"), width=20),
    Column("permit_holder", gettext_lazy("Permit holder"), width=24),
    Column("permitted_annual_m3", gettext_lazy("Permitted annual volume (m³)"), kind="number", width=18),
    Column("permitted_annual_10k_m3", gettext_lazy("Permitted annual volume (10⁴ m³)"), kind="number", width=18),
    Column("permit_valid_from", gettext_lazy("Permit valid from"), kind="date"),
    Column("permit_valid_until", gettext_lazy("Permit valid until"), kind="date"),
    Column("online_required", gettext_lazy("Online metering required"), kind="bool"),
    Column("meters", gettext_lazy("Meters"), width=24),
    Column("operators", gettext_lazy("Operators"), width=20),
]

METER_COLUMNS = [
    Column("serial", gettext_lazy("Serial")),
    Column("intake", gettext_lazy("Intake code")),
    Column("intake_name", gettext_lazy("Intake"), width=28),
    Column("meter_type", gettext_lazy("Meter type")),
    Column("rtu_address", gettext_lazy("RTU address")),
    Column("protocol", gettext_lazy("Protocol")),
    Column("decoding_profile", gettext_lazy("Decoding profile")),
    Column("register_max_m3", gettext_lazy("Register maximum (m³)"), kind="number3"),
    Column("multiplier", gettext_lazy("Multiplier"), kind="number3"),
    Column("expected_interval_s", gettext_lazy("Report interval (s)"), kind="int"),
    Column("calibrated_on", gettext_lazy("Calibrated on"), kind="date"),
    Column("installed_at", gettext_lazy("Installed at"), kind="datetime", width=18),
    Column("install_reading_m3", gettext_lazy("Register at installation (m³)"), kind="number3"),
    Column("removed_at", gettext_lazy("Removed at"), kind="datetime", width=18),
    Column("removal_reading_m3", gettext_lazy("Register at removal (m³)"), kind="number3"),
    Column("replaces", gettext_lazy("Replaces")),
    Column("device", gettext_lazy("Device account")),
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
