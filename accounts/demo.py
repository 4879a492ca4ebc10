"""Demo accounts, one per role (load_demo). Demo only: never in production."""

from __future__ import annotations

from typing import Any

from accounts.choices import Role
from accounts.models import User

DEMO_USERS = [
    # username, role, jurisdiction, display name
    ("admin", Role.ADMIN, "650100", "系统管理员 Administrator"),
    ("reviewer", Role.REVIEWER, "650100", "市河长办 City river-chief office"),
    ("chief", Role.CHIEF, "650102", "天山区河长 Tianshan district chief"),
    ("operator", Role.OPERATOR, "650100", "取水户 Intake operator"),
    ("device", Role.DEVICE, "", "遥测终端 Telemetry gateway"),
]


def load_accounts_demo(*, password: str, stdout: Any, **_: Any) -> None:
    for username, role, jurisdiction, display in DEMO_USERS:
        user, _created = User.objects.get_or_create(username=username)
        user.role = role
        user.jurisdiction = jurisdiction
        user.display_name = display
        user.is_staff = role in (Role.ADMIN, Role.REVIEWER)
        user.is_superuser = role == Role.ADMIN
        user.set_password(password)
        user.save()
