"""Settings: production refuses unsafe configuration; the OpenAPI schema stays valid."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import call_command

GOOD = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "k" * 50,
    "DATABASE_URL": "postgis://u@127.0.0.1:5432/x",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "rediscache://127.0.0.1:6379/1",
}


def _load_production(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in GOOD}
    env.update({k: v for k, v in {**GOOD, **overrides}.items() if v is not None})
    code = "import django; django.setup(); print('loaded')"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)  # noqa: S603


def test_production_loads_with_a_complete_configuration():
    result = _load_production()
    assert result.returncode == 0, result.stderr
    assert "loaded" in result.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DATABASE_URL": "spatialite:////tmp/x.sqlite3"}, "PostGIS"),
        ({"CELERY_BROKER_URL": None}, "CELERY_BROKER_URL"),
        ({"CACHE_URL": None}, "CACHE_URL"),
    ],
)
def test_production_refuses_unsafe_configuration(override, message):
    result = _load_production(**override)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_openapi_schema_is_valid(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/places/reaches/" in out.read_text()


def _setting_in_subprocess(name: str, env_overrides: dict[str, str]) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env_overrides}
    code = f"import django; django.setup(); from django.conf import settings; print(repr(settings.{name}))"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_app_rule_settings_are_read_from_the_environment_as_json_or_text():
    assert _setting_in_subprocess("REUSE_RATE_TARGET", {"REUSE_RATE_TARGET": "0.35"}) == "0.35"
    assert _setting_in_subprocess("REUSE_RATE_COUNT_ECOLOGICAL", {"REUSE_RATE_COUNT_ECOLOGICAL": "false"}) == "False"
    assert _setting_in_subprocess("PATROL_MAX_SPEED_MPS", {"PATROL_MAX_SPEED_MPS": '{"foot": 3}'}) == "{'foot': 3}"
    assert _setting_in_subprocess("WATER_GAP_FACTOR", {"WATER_GAP_FACTOR": "three"}) == "'three'"


def test_every_app_rule_setting_is_listed_in_env_example():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    listed = (root / ".env.example").read_text(encoding="utf-8")
    pattern = re.compile(r"\b(?:WATER|PATROL|REUSE|QUALITY|REPORTS|OVERSIGHT|NOTIFY)_[A-Z0-9_]+\b")
    names = {n for conf in root.glob("*/conf.py") for n in pattern.findall(conf.read_text(encoding="utf-8"))}
    assert len(names) > 40
    missing = sorted(n for n in names if f"# {n}=" not in listed)
    assert not missing, f"add to .env.example: {missing}"


def test_an_unknown_app_rule_setting_stops_start_up_naming_it():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "WATER_GAP_FACTORR": "3"}
    code = "import django; django.setup()"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "WATER_GAP_FACTORR" in result.stderr


def test_known_app_settings_cover_every_listed_name():
    import re
    from pathlib import Path

    from core.appsettings import known_app_settings, unknown_app_settings

    root = Path(__file__).resolve().parents[2]
    listed = set(
        re.findall(
            r"^# ((?:WATER|PATROL|REUSE|QUALITY|REPORTS)_[A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M
        )
    )
    assert len(listed) > 40
    assert listed <= known_app_settings()
    environ = {"PATH": "/bin", "WATER_GAP_FACTOR": "2", "PATROL_MAX_SPEED": "3", "REPORTS_X": ""}
    assert unknown_app_settings(environ, known=known_app_settings(), prefixes=("WATER_", "PATROL_", "REPORTS_")) == [
        "PATROL_MAX_SPEED",
        "REPORTS_X",
    ]


def _production_setting(name: str, **overrides: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in GOOD and not k.startswith("DJANGO_")}
    env.update({k: v for k, v in {**GOOD, **overrides}.items() if v is not None})
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(repr(getattr(settings, {name!r}, None)))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_production_hsts_and_proxy_trust_defaults():
    """Issue 14: HSTS on by default; X-Forwarded-Proto believed only when the deployment says so."""
    assert _production_setting("SECURE_HSTS_SECONDS") == "31536000"
    assert _production_setting("SECURE_PROXY_SSL_HEADER") == "None"
    trusted = _production_setting("SECURE_PROXY_SSL_HEADER", DJANGO_TRUST_PROXY_HEADERS="true")
    assert trusted == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_with_no_broker_a_task_queued_by_name_runs_eagerly_without_a_broker_warning():
    """`make run` has no broker: tasks run in-process, and kombu must not warn about a missing host
    (load_demo queued a report build by name and printed "No hostname was supplied")."""
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    code = "\n".join(
        (
            "import django",
            "django.setup()",
            "from django.conf import settings",
            "from config.celery_app import app",
            "assert settings.CELERY_TASK_ALWAYS_EAGER",
            "@app.task(name='tests.ping')",
            "def ping():",
            "    return 'pong'",
            "r = ping.apply_async(time_limit=5, soft_time_limit=4)",
            "print('state', r.state, r.get())",
        )
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert result.returncode == 0, result.stderr
    assert "state SUCCESS pong" in result.stdout
    assert "No hostname" not in result.stderr
    assert "WARNING" not in result.stderr


def test_every_operation_is_described_in_its_own_words(tmp_path):
    """No operation borrows a mixin's docstring (81 read "Mix into every API view that writes…"), and
    every operation has a summary or a description of its own."""
    import yaml

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    doc = yaml.safe_load(out.read_text())
    from core.api import idempotency, views

    machinery = [
        inspect_doc.split("\n")[0][:40]
        for inspect_doc in (idempotency.IdempotencyMixin.__doc__ or "", views.ReadOnlyGeoViewSet.__doc__ or "")
        if inspect_doc
    ]
    undescribed, borrowed = [], []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            text = (op.get("description") or "").strip()
            if not text and not op.get("summary"):
                undescribed.append(f"{method.upper()} {path}")
            if any(m.strip() and m.strip() in text for m in machinery):
                borrowed.append(f"{method.upper()} {path}")
    assert borrowed == []
    assert undescribed == []
