"""How fast the kernel's one CSV reader (core.csvread) parses the CSV imports, in process, no database.

    .venv/bin/python benchmarks/csv_read.py [--rows 60000] [--repeat 5] [--old /tmp/water_ingest_8780f8f.py]

Times, on generated files of `--rows` data rows (UTF-8 bytes, as an upload arrives):

- readings: water.ingest.parse_csv_batch (the API's text/csv body, the console upload; import_readings
  reads the same rows from a stream), i.e. decoding, core.csvread and the per-row checks;
- readings (reader only): core.csvread.read_csv with water's columns, rows only iterated;
- quality samples and reuse volumes (reader only): core.csvread.read_csv with their columns and aliases
  (their row checks need sections and plants in a database);
- with `--old FILE`: water's own reader before issue 20 (water/ingest.py of 8780f8f, extracted with
  `git show 8780f8f:water/ingest.py > FILE`, never committed), bytes decoded as its view did
  (UTF-8 with or without BOM), the runs interleaved with the current path's.

Prints, per case, the best and median wall time, rows/s and CPU µs per row (process time), and the
machine load (run `uptime` alongside: the machine is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from core import csvread  # noqa: E402
from water import ingest  # noqa: E402

NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def readings_csv(n: int) -> bytes:
    lines = ["meter,observed_at,cumulative_m3,flow_m3s"]
    meters = 200
    for i in range(n):
        at = (T0 + dt.timedelta(hours=i // meters)).isoformat()
        lines.append(f"WM-{i % meters:05d},{at},{1000 + i * 0.125:.3f},{(i % 97) / 100:.2f}")
    return ("\r\n".join(lines) + "\r\n").encode()


def quality_csv(n: int) -> bytes:
    lines = ["断面编码,采样时间,source,item,value,unit,below_detection_limit,detection_limit,note"]
    items = ["do", "codmn", "cod", "bod5", "nh3n", "tp"]
    for i in range(n):
        at = (T0 + dt.timedelta(days=i // 600)).isoformat()
        lines.append(f"S{i % 100:03d},{at},manual,{items[i % 6]},{(i % 50) / 10:.2f},mg/L,,,")
    return ("\r\n".join(lines) + "\r\n").encode()


def reuse_csv(n: int) -> bytes:
    lines = ["水厂编码 plant,month,treated_m3,produced_m3"]
    for i in range(n):
        lines.append(f"RP-{i % 300:04d},{2000 + i // 3600}-{(i // 300) % 12 + 1:02d},{10000 + i},{8000 + i}")
    return ("\r\n".join(lines) + "\r\n").encode()


def drain(data: bytes, **kwargs: Any) -> Callable[[], int]:
    def run() -> int:
        rows = csvread.read_csv(data, **kwargs)[1]
        return sum(1 for _row in rows)

    return run


def load_old(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("water_ingest_old", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--old", help="water/ingest.py of 8780f8f (the old reader), extracted to a file")
    args = parser.parse_args()
    n = args.rows
    readings, quality, reuse = readings_csv(n), quality_csv(n), reuse_csv(n)
    limits = {"now": NOW, "future_tolerance_s": 300, "max_rows": n}
    cases: dict[str, Callable[[], int]] = {
        "readings parse_csv_batch (current)": lambda: len(ingest.parse_csv_batch(readings, **limits)),
    }
    if args.old:
        old = load_old(args.old)
        cases["readings parse_csv_batch (old reader 8780f8f)"] = lambda: len(
            old.parse_csv_batch(readings.decode("utf-8-sig"), **limits)
        )
    cases["readings read_csv only"] = drain(readings, columns=ingest.ROW_FIELDS, required=("meter",), field="csv")
    from quality import csv_samples
    from reuse.api.views import VOLUME_CSV_COLUMNS

    cases["quality samples read_csv only"] = drain(
        quality,
        columns=csv_samples.COLUMNS,
        required=csv_samples.REQUIRED,
        aliases=csv_samples._HEADER_ALIASES,
        max_rows=csv_samples.DEFAULT_MAX_ROWS,
    )
    cases["reuse volumes read_csv only"] = drain(reuse, columns=VOLUME_CSV_COLUMNS, required=VOLUME_CSV_COLUMNS)
    wall: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    print(f"{n} rows per file; load {os.getloadavg()[0]:.1f} before")
    for __ in range(args.repeat):  # interleaved: each round runs every case once
        for name, run in cases.items():
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            got = run()
            w1, c1 = time.perf_counter(), time.process_time()
            if got != n:
                raise SystemExit(f"{name}: {got} rows, expected {n}")
            wall[name].append(w1 - w0)
            cpu[name].append(c1 - c0)
    print(f"load {os.getloadavg()[0]:.1f} after")
    for name in cases:
        best, med = min(wall[name]), statistics.median(wall[name])
        print(
            f"{name:48s} best {best:6.3f} s  median {med:6.3f} s  {n / med:9,.0f} rows/s  "
            f"CPU {min(cpu[name]) / n * 1e6:5.1f}–{statistics.median(cpu[name]) / n * 1e6:5.1f} µs/row (best–median)"
        )


if __name__ == "__main__":
    main()
