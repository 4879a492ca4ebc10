"""manage.py import_readings (through the ingest service), rebuild_daily_volumes, and the demo data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from itertools import pairwise
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.water.conftest import T0, day_volumes, hours
from water.models import DailyVolume, Meter, Reading

pytestmark = pytest.mark.django_db


def write_csv(tmp_path: Path, lines: list[str], header: str = "meter,observed_at,cumulative_m3,flow_m3s") -> Path:
    path = tmp_path / "readings.csv"
    path.write_text("\ufeff" + "\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def line(serial: str, h: float, value: float, flow: str = "") -> str:
    return f"{serial},{(T0 + hours(h)).isoformat()},{value},{flow}"


def test_import_readings_in_batches_and_again_as_duplicates(tmp_path, water):
    path = write_csv(tmp_path, [line("WM-E1", h, 1000 + 10 * h) for h in range(1, 31)] + ["", line("WM-W1", 1, 4)])
    out = StringIO()
    call_command("import_readings", str(path), "--batch-size", "7", "--no-progress", stdout=out)
    assert "31 rows, 31 new, 0 duplicates" in out.getvalue()
    assert Reading.objects.filter(meter=water.meter_e, source="csv").count() == 30
    assert day_volumes(water.meter_e)[dt.date(2024, 1, 1)] == Decimal(240)  # 00:00 → 24:00
    out = StringIO()
    call_command("import_readings", str(path), "--no-progress", stdout=out)
    assert "31 rows, 0 new, 31 duplicates" in out.getvalue()


def test_a_bad_file_is_refused_whole_with_line_numbers(tmp_path, water):
    path = write_csv(
        tmp_path,
        [line("WM-E1", 1, 1010), "WM-E1,2024-01-01T02:00:00,1020,", line("WM-E1", 3, -5), line("NO-SUCH", 1, 1)],
    )
    with pytest.raises(CommandError) as exc:
        call_command("import_readings", str(path), "--no-progress")
    message = str(exc.value)
    assert "line 3 observed_at" in message  # the header is line 1
    assert "line 4 cumulative_m3" in message
    assert "'NO-SUCH'" in message
    assert Reading.objects.filter(meter=water.meter_e).count() == 1


def test_bad_header_is_refused(tmp_path, water):
    path = write_csv(tmp_path, [line("WM-E1", 1, 1010)], header="serial,time,value")
    with pytest.raises(CommandError, match="header"):
        call_command("import_readings", str(path), "--no-progress")
    assert Reading.objects.filter(meter=water.meter_e).count() == 1


def test_a_conflict_stops_at_its_batch(tmp_path, water, client_for, users):
    client_for(users["admin"]).post(
        "/api/v1/water/readings/",
        {"readings": [{"meter": "WM-E1", "observed_at": (T0 + hours(6)).isoformat(), "cumulative_m3": 9999}]},
        format="json",
    )
    path = write_csv(tmp_path, [line("WM-E1", h, 1000 + 10 * h) for h in range(1, 9)])
    with pytest.raises(CommandError) as exc:
        call_command("import_readings", str(path), "--batch-size", "4", "--no-progress")
    assert "line 7 cumulative_m3" in str(exc.value)  # 06:00 is the sixth data row
    # The first batch (hours 1–4) was stored; the conflicting one was not.
    assert Reading.objects.filter(meter=water.meter_e).count() == 1 + 1 + 4


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_readings", str(tmp_path / "nope.csv"))


def test_rebuild_daily_volumes_restores_the_rows(water, client_for, users):
    client_for(users["admin"]).post(
        "/api/v1/water/readings/",
        {
            "readings": [
                {"meter": "WM-E1", "observed_at": (T0 + hours(h)).isoformat(), "cumulative_m3": 1000 + h}
                for h in range(1, 50)
            ]
        },
        format="json",
    )
    before = day_volumes(water.meter_e)
    DailyVolume.objects.all().delete()
    out = StringIO()
    call_command("rebuild_daily_volumes", "--meter", "WM-E1", stdout=out)
    assert day_volumes(water.meter_e) == before
    assert "3 daily rows rebuilt" in out.getvalue()
    with pytest.raises(CommandError, match="no such meters"):
        call_command("rebuild_daily_volumes", "--meter", "NOPE")


def test_demo_data_shows_every_event_and_loads_twice_unchanged(settings):
    """The demo on a shortened calendar would not show the events, so this runs the whole year; it is
    the slowest test of the app (about 30 s on SpatiaLite)."""
    from accounts.demo import load_accounts_demo
    from places.demo import load_places_demo
    from water import demo

    load_accounts_demo(password="demo-pass-1", stdout=StringIO())
    load_places_demo()
    demo.load_water_demo()
    readings = Reading.objects.count()
    assert Meter.objects.count() == 27  # 24 intakes, two with two meters, one replacement
    # The first meter predates 2019 (the shared contract check posts 2019 readings to it).
    first = Meter.objects.order_by("serial").first()
    assert first is not None
    assert first.installed_at.year < 2019
    # Every meter was installed before the 2023 base year and reports through it, hourly.
    assert Meter.objects.filter(installed_at__gte=dt.datetime(2023, 1, 1, tzinfo=demo.BEIJING)).count() == 1
    in_2023 = {"observed_at__gte": demo.PREVIOUS_START, "observed_at__lt": demo.YEAR_START}
    assert Reading.objects.filter(**in_2023).count() == 26 * 8760
    # Rollover: the register passes its maximum in summer and nothing is flagged for it.
    roll = Meter.objects.get(serial=demo.ROLLOVER_METER)
    values = list(Reading.objects.filter(meter=roll).order_by("observed_at").values_list("cumulative_m3", flat=True))
    assert any(b < a for a, b in pairwise(values))
    assert not DailyVolume.objects.filter(meter=roll, n_flagged__gt=0).exists()
    # Replacement: the old meter ends where the new one starts.
    old = Meter.objects.get(serial=demo.REPLACED_METER)
    new = Meter.objects.get(serial=demo.REPLACEMENT_SERIAL)
    assert old.removed_at == new.installed_at == demo.REPLACED_AT
    assert new.replaces_id == old.pk
    # Gap: the days inside it are estimated.
    gap_days = DailyVolume.objects.filter(meter__serial=demo.GAP_METER, day=dt.date(2024, 3, 11)).get()
    assert gap_days.measured_m3 == 0
    assert gap_days.estimated_m3 > 0
    # Spike: held and flagged until a reviewer looks at it.
    spike = DailyVolume.objects.get(meter__serial=demo.SPIKE_METER, day=dt.date(2024, 8, 8))
    assert spike.n_flagged == 1
    assert spike.held_m3 > demo.SPIKE_M3
    # Seasonality: an irrigation intake takes nothing in January and most in summer.
    farm = {d.day.month: d for d in DailyVolume.objects.filter(meter__serial="WM-650121-02-1", day__year=2024)}
    assert farm[1].volume_m3 == 0
    assert farm[7].volume_m3 > 0
    # Online monitoring: the March gap is missed reports, late frames lower timeliness, the silent RTU
    # is the one offline alert as of the end of the data, the spike a flagged-reading alert.
    monitored = _demo_monitoring(demo)
    # Idempotent: a second load sends the same readings, all duplicates.
    demo.load_water_demo()
    assert Reading.objects.count() == readings
    assert Meter.objects.count() == 27
    _check_plan_demo()
    assert _demo_monitoring(demo) == monitored


def _check_plan_demo() -> None:
    """The 2024 plan (issued, then amended once), 2023 and 2024 red lines, January–June locked: most intakes
    within plan over the year, each over-plan tier shown once; loading twice changed nothing."""
    from collections import Counter

    from core import periods
    from tests.water.plan_fixtures import ALL
    from water.models import LedgerLock, PlanVersion, RedLineTarget, WaterPlan
    from water.selectors import plan_summary, redline_summary

    plan = WaterPlan.objects.get(year=2024)
    assert plan.version == 2
    assert WaterPlan.objects.get(year=2023).version == 1  # the year-on-year base, never amended
    assert PlanVersion.objects.filter(plan=plan).count() == 2
    locks = LedgerLock.objects.filter(unlocked_at__isnull=True).order_by("month")
    assert [(lock.month.year, lock.month.month) for lock in locks] == [
        *((2023, m) for m in range(1, 13)),
        *((2024, m) for m in range(1, 7)),
    ]
    assert {lock.locked_by.username for lock in locks} == {"reviewer"}
    assert not Reading.objects.filter(after_lock=True).exists()
    year = plan_summary(scope=ALL, period=periods.year(2024), today=dt.date(2025, 1, 1))
    tiers = Counter(i.tier for i in year.intakes)
    assert tiers == Counter({"within": 20, "5-10": 1, "10-20": 1, "20-30": 1, "30+": 1}), tiers
    assert year.tier == "within"
    assert year.amendments_after_lock_m3 == 0
    assert year.forecast_m3 is not None
    assert abs(year.forecast_m3 - year.use_m3) < Decimal("0.001")
    h1 = plan_summary(scope=ALL, period=periods.half_year(2024, 1), today=dt.date(2025, 1, 1))
    assert h1.use_m3 > 0
    assert h1.plan_m3 is not None
    red = {i.key: i for i in redline_summary(scope=ALL, year=2024).indicators}
    assert sorted(RedLineTarget.objects.values_list("year", flat=True)) == [2023, 2024]
    assert red["total_use"].source == "system"
    assert red["total_use"].met is True
    assert red["irrigation"].met is False
    assert red["zone_compliance"].met is True


def _demo_monitoring(demo):
    from accounts.choices import Role
    from accounts.scope import Scope
    from core import periods
    from water.models import Alert
    from water.selectors import meter_monitoring_days, monitoring_report

    everyone = Scope(user_id=None, role=Role.ADMIN, everything=True)
    gap = Meter.objects.get(serial=demo.GAP_METER)
    figure, days = meter_monitoring_days(
        scope=everyone, meter_id=gap.pk, first=dt.date(2024, 3, 1), last=dt.date(2024, 3, 31), now=demo.YEAR_END
    )
    missed = (demo.GAP[1] - demo.GAP[0]).total_seconds() / 3600
    assert (figure.expected_reports, figure.received_reports) == (744, 744 - missed), [
        (d.day, d.expected_reports, d.reports) for d in days if d.reports != 24
    ]
    assert [d.reports for d in days if d.day.day == 11] == [0]
    summary, meters = monitoring_report(scope=everyone, period=periods.year(2024), now=demo.YEAR_END)
    assert 0.99 < summary.arrival_rate < 1
    assert 0.95 < summary.timeliness < summary.arrival_rate
    assert summary.offline == 1
    assert summary.coverage is not None
    assert summary.coverage < 1
    assert [m.serial for m in meters if m.state == "offline"] == [demo.SILENT_METER]
    open_alerts = sorted(
        (a.kind, a.meter.serial)
        for a in Alert.objects.filter(resolved_at__isnull=True, meter__isnull=False).select_related("meter")
    )
    # The demo's plan job (issue 17) also opens the over-plan intakes' alerts, which name no meter.
    assert Alert.objects.filter(resolved_at__isnull=True, kind="plan_100").exists()
    assert open_alerts == [("flagged_reading", demo.SPIKE_METER), ("meter_offline", demo.SILENT_METER)]
    return summary.to_dict(), list(Alert.objects.values_list("pk", "last_seen_at", "resolved_at"))


def test_a_gb18030_file_from_excel_is_read(tmp_path, water):
    """Chinese Excel saves "CSV" in GB 18030: its bytes are not UTF-8, and must not end in a traceback."""
    path = tmp_path / "readings-gbk.csv"
    rows = ["meter,observed_at,cumulative_m3,flow_m3s", line("WM-E1", 1, 1010), line("WM-E1", 2, 1020)]
    # A serial with Chinese characters is refused by name (no such meter), proving the bytes were decoded.
    chinese = "水表-东1," + (T0 + hours(3)).isoformat() + ",1030,"
    path.write_bytes(("\r\n".join([*rows, chinese]) + "\r\n").encode("gb18030"))
    with pytest.raises(CommandError) as exc:
        call_command("import_readings", str(path), "--no-progress")
    assert "'水表-东1'" in str(exc.value)
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gb18030"))
    out = StringIO()
    call_command("import_readings", str(path), "--no-progress", stdout=out)
    assert "2 rows, 2 new, 0 duplicates" in out.getvalue()


def test_a_file_in_no_known_charset_is_refused_in_words(tmp_path, water):
    path = tmp_path / "readings.csv"
    path.write_bytes(b"meter,observed_at,cumulative_m3\nWM-E1,\xff\xfe\xff,1\n")
    with pytest.raises(CommandError, match="neither UTF-8 nor GB 18030"):
        call_command("import_readings", str(path), "--no-progress")
    with pytest.raises(CommandError, match="no such charset"):
        call_command("import_readings", str(path), "--encoding", "klingon")


def test_progress_off_a_terminal_is_plain_lines_on_stdout(tmp_path, water):
    path = write_csv(tmp_path, [line("WM-E1", h, 1000 + 10 * h) for h in range(1, 11)])
    out, err = StringIO(), StringIO()
    call_command("import_readings", str(path), "--batch-size", "4", stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert lines[:3] == ["4/10 rows (40 %)", "8/10 rows (80 %)", "10/10 rows (100 %)"]
    assert err.getvalue() == ""  # no bar, and nothing in the error stream's colours


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_one_bar_not_red_error_lines(tmp_path, water):
    """On a terminal the bar (tqdm) redraws itself on the error stream, unstyled; standard output stays clean."""
    path = write_csv(tmp_path, [line("WM-E1", h, 1000 + 10 * h) for h in range(1, 11)])
    out, err = StringIO(), _Terminal()
    call_command("import_readings", str(path), "--batch-size", "4", stdout=out, stderr=err)
    drawn = err.getvalue()
    assert "10/10" in drawn
    assert "rows" in drawn
    assert "\r" in drawn  # redrawn in place, not one line per refresh
    assert "\x1b[31" not in drawn  # not Django's red ERROR style
    assert "\x1b[1m" not in drawn
    assert "rows (" not in out.getvalue()  # no plain progress lines beside the bar
