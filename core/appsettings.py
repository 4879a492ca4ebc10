"""The apps' rule settings in the environment (WATER_*, PATROL_*, REUSE_*, QUALITY_*, REPORTS_*).

config.settings copies every such variable into the settings (each app's conf.py reads it with a typed
getter). A misspelt name would be silently ignored, the default applying instead of the value the
deployer meant; so start-up stops, naming it. The known names are each installed app's `conf.SETTINGS`,
found as Django's autodiscovery finds `admin` modules (core imports no app)."""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Collection, Iterable, Mapping

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def unknown_app_settings(environ: Mapping[str, str], *, known: Collection[str], prefixes: Iterable[str]) -> list[str]:
    """The variables of `environ` with an app prefix that no app knows, sorted."""
    prefixes = tuple(prefixes)
    return sorted(name for name in environ if name.startswith(prefixes) and name not in known)


def known_app_settings() -> frozenset[str]:
    """Every rule setting an installed app declares (its conf module's SETTINGS)."""
    names: set[str] = set()
    for config in apps.get_app_configs():
        module_name = f"{config.name}.conf"
        try:
            found = importlib.util.find_spec(module_name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            names.update(getattr(importlib.import_module(module_name), "SETTINGS", ()))
    return frozenset(names)


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """ImproperlyConfigured naming every unknown app rule setting in the environment."""
    known = known_app_settings()
    # Only the prefixes of apps that declare their names (conf.SETTINGS); an app that does not yet is
    # not checked (a new app adds SETTINGS to its conf module: core/README.md).
    prefixes = tuple(p for p in getattr(settings, "APP_SETTING_PREFIXES", ()) if any(n.startswith(p) for n in known))
    unknown = unknown_app_settings(os.environ if environ is None else environ, known=known, prefixes=prefixes)
    if unknown:
        raise ImproperlyConfigured(
            f"Unknown app rule setting(s) in the environment: {', '.join(unknown)}. "
            "Each app's conf.py and .env.example list the names; check the spelling."
        )
