"""manage.py issue_token USERNAME [--device] [--name NAME] [--days N]: print a new API token once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.choices import TokenKind
from accounts.models import User
from accounts.services import token_issue


class Command(BaseCommand):
    help = "Issue an API token for a user (a device token for RTU gateways with --device) and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--device", action="store_true", help="a device token that does not expire")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--days", type=int, default=None, help="lifetime in days")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            user = User.objects.get(username=opts["username"])
        except User.DoesNotExist:
            raise CommandError(f"no user {opts['username']!r}") from None
        kind = TokenKind.DEVICE if opts["device"] else TokenKind.LOGIN
        _, secret = token_issue(user=user, kind=kind, name=opts["name"], ttl_days=opts["days"])
        self.stdout.write(secret)
