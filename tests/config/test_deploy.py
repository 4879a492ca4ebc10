"""The production image and compose file (issue 14), checked by reading them: there is no Docker engine
where the suite runs (`docker compose config` needs the Compose plugin; this test checks the same shape
the issue asks for, structurally).

- every installed app (and every package pyproject ships) is in the image's build context and copied;
- what must not reach the image (.git, .venv, .env, var) is kept out by .dockerignore;
- in the compose file only the buffering proxy is published to the world; gunicorn, PostgreSQL and
  Redis are not published; the gateway is published on one configured address only, never 0.0.0.0.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import yaml
from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _project_apps() -> list:
    """Installed apps whose code is the project's own (not a library in a virtualenv under ROOT)."""
    out = []
    for app in apps.get_app_configs():
        path = Path(app.path).resolve()
        if path.is_relative_to(ROOT.resolve()) and "site-packages" not in path.parts:
            out.append(app)
    return out


def _ignore_rules() -> list[tuple[bool, str]]:
    rules = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        rules.append((negate, line.lstrip("!").strip("/")))
    return rules


def _excluded(rel: str, rules: list[tuple[bool, str]]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a parent directory excludes it."""
    parts = rel.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for negate, pattern in rules:
        regex = fnmatch.translate(pattern).replace(".*.*/", "(.*/)?")
        if any(re.match(regex, c) for c in candidates):
            excluded = not negate
    return excluded


def _copied(rel: str) -> bool:
    """True when a COPY of the Dockerfile takes `rel` from the build context."""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        m = re.match(r"\s*COPY\s+(?:--\S+\s+)*(.+)\s+\S+\s*$", line)
        if not m:
            continue
        for src in m.group(1).split():
            src = src.strip("./") if src not in (".", "./") else "."
            if src == "." or rel == src or rel.startswith(src + "/"):
                return True
    return False


def test_every_installed_app_is_in_the_build_context_and_copied():
    rules = _ignore_rules()
    local = _project_apps()
    assert len(local) >= 10
    for app in local:
        rel = Path(app.path).resolve().relative_to(ROOT.resolve()).as_posix()
        assert not _excluded(rel, rules), f"{rel} is excluded by .dockerignore"
        assert not _excluded(f"{rel}/__init__.py", rules), rel
        assert _copied(rel), f"{rel} is not copied by the Dockerfile"
    for needed in ("manage.py", "config/settings/production.py", "config/wsgi.py", "pyproject.toml"):
        assert not _excluded(needed, rules), needed
        assert _copied(needed), needed


def test_pyproject_ships_every_app():
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for app in _project_apps():
        top = app.name.split(".")[0]
        assert f"{top}*" in include, top


def test_secrets_and_local_state_stay_out_of_the_image():
    rules = _ignore_rules()
    for path in (".env", ".git/config", ".venv/bin/python", "var/db.sqlite3", "core/__pycache__/x.pyc"):
        assert _excluded(path, rules), path
    dockerfile = (ROOT / "Dockerfile").read_text()
    # Dependencies are installed before the code is copied, then the project itself without deps.
    assert dockerfile.index("pip install -r") < dockerfile.index("COPY . .") < dockerfile.index("pip install --no-deps")


def _compose() -> dict:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_is_well_formed():
    data = _compose()
    services = data["services"]
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name
        for dep in svc.get("depends_on", {}):
            assert dep in services, (name, dep)
        for vol in svc.get("volumes", []):
            source = vol.split(":")[0]
            assert source.startswith(".") or source in data.get("volumes", {}), (name, vol)
            if source.startswith("."):
                assert (ROOT / source).exists(), vol


def test_only_the_proxy_is_published():
    services = _compose()["services"]
    for name in ("web", "db", "redis", "worker", "beat", "migrate"):
        assert not services[name].get("ports"), f"{name} must not be published"
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx")
    assert [p.split(":")[-1] for p in proxy["ports"]] == ["8080"]
    assert services["web"]["expose"] == ["8000"]
    for port in services["telemetry"]["ports"]:
        host = port.rsplit(":", 2)[0]
        assert host.startswith("${TELEMETRY_PUBLISH_ADDRESS"), port
        assert host.endswith(":-127.0.0.1}"), "the gateway's default address must not be public"


def test_nginx_buffers_and_overwrites_forwarding_headers():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_pass http://hezhang_web" in conf
    assert "server web:8000" in conf
    for directive in (
        "proxy_request_buffering on",
        "client_body_timeout",
        "client_header_timeout",
        "proxy_set_header X-Forwarded-For $remote_addr",
        "proxy_set_header X-Forwarded-Proto $scheme",
        "limit_conn per_ip",
    ):
        assert directive in conf, directive
    assert "$proxy_add_x_forwarded_for" not in conf  # appending would let a client choose its address
