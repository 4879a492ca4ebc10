"""Helpers every notify service uses: the user model, field errors, the division chain."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from core.divisions import parent_code
from core.exceptions import InvalidInput

User = get_user_model()


def _invalid(field: str, message: str, *, code: str = "invalid") -> InvalidInput:
    return InvalidInput(message, code=code, fields={field: [message]})


def ancestors(code: str) -> list[str]:
    """The division and every division above it, lowest first (650102001 → 650102, 650100, 650000)."""
    out: list[str] = []
    current: str | None = code
    while current:
        out.append(current)
        current = parent_code(current)
    return out
