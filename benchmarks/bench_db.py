"""What the in-process PostgreSQL benchmarks share (water_volumes.py, water_monitoring.py and, through
water_volumes.py, reports_quarterly.py): a database of their own, dropped, created and migrated; Django
set up on it; the daily rows rebuilt in parallel; and a warm GET through the WSGI application, timed
without a server or a network in between.

Not a benchmark itself; the scripts import it from this folder.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PG = "postgresql://postgres@127.0.0.1:5432"


def django_env(db: str) -> dict[str, str]:
    """The environment of this checkout's test settings pointed at the database `db`."""
    return {
        "DATABASE_URL": f"postgis://postgres@127.0.0.1:5432/{db}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "LOG_LEVEL": "WARNING",
    }


def setup_django(env: Mapping[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def create_database(db: str, env: Mapping[str, str]) -> None:
    """Drop `db` if it is there, create it with PostGIS and migrate it with this checkout's manage.py."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db}")
    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    subprocess.run(  # noqa: S603 - this checkout's manage.py, fixed arguments
        [PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env={**os.environ, **env}, check=True
    )


def rebuild_daily(chunk: Callable[[list[int]], int], jobs: int) -> int:
    """Every meter's daily rows, rebuilt by `chunk` (a module-level function calling the service's
    recompute for the meter ids it is given) in `jobs` processes; returns the rows built."""
    from django.db import connections

    from water.models import Meter

    ids = list(Meter.objects.order_by("id").values_list("id", flat=True))
    connections.close_all()  # the processes must not share this one's connection
    with ProcessPoolExecutor(jobs) as pool:
        return sum(pool.map(chunk, [ids[i::jobs] for i in range(jobs)]))


def warm_get(app: Any, path: str, query: str, secret: str, runs: int = 6) -> tuple[float, bytes]:
    """GET `path`?`query` with the API token `secret`, `runs` times in process: the median seconds of
    the warm runs (every run but the first) and the last body. A status other than 200 ends the run."""
    samples: list[float] = []
    body = b""
    for i in range(runs):
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "HTTP_AUTHORIZATION": f"Token {secret}",
        }
        status: list[str] = []

        def start_response(st: str, h: object, exc_info: object = None, status: list[str] = status) -> None:
            status.append(st)

        start = time.perf_counter()
        body = b"".join(app(environ, start_response))
        elapsed = time.perf_counter() - start
        if not status[0].startswith("200"):
            raise SystemExit(f"GET {path}: {status[0]} {body[:200]!r}")
        if i:  # the first run warms the caches
            samples.append(elapsed)
    return statistics.median(samples), body
