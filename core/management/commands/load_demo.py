"""manage.py load_demo: the demo city (idempotent). Never run it against a production database."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.demo import demo_loaders


class Command(BaseCommand):
    help = "Load the demo city (Urumqi-like, year 2024). Idempotent. Demo data only: never in production."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", nargs="*", help="names of loaders to run (default: all)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if str(getattr(settings, "SETTINGS_MODULE", "")).endswith("production") and not settings.DEBUG:
            raise CommandError("load_demo refuses to run with production settings")
        password, generated = self._password()
        only = set(opts.get("only") or [])
        context = {"password": password, "password_generated": generated, "stdout": self.stdout}
        for name, loader in demo_loaders():
            if only and name not in only:
                continue
            with transaction.atomic():
                loader(**context)
            self.stdout.write(f"demo: {name} loaded")
        self.stdout.write(
            "Demo logins (demo data, not for production): admin, reviewer, chief, operator, device — password "
            + (f"{password} (generated, kept in var/demo_password)" if generated else "from DEMO_PASSWORD")
        )

    @staticmethod
    def _password() -> tuple[str, bool]:
        """DEMO_PASSWORD, else one generated once and kept under var/ so that a second run of
        load_demo (idempotent) keeps the same logins."""
        if settings.DEMO_PASSWORD:
            return settings.DEMO_PASSWORD, False
        path = Path(settings.BASE_DIR) / "var" / "demo_password"
        if path.exists() and path.read_text().strip():
            return path.read_text().strip(), True
        path.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(12)
        path.write_text(password + "\n")
        path.chmod(0o600)
        return password, True
