"""Settings of the oversight app, each with its default here (config/settings turns every OVERSIGHT_*
environment variable into a setting; `.env.example` lists them).

``OVERSIGHT_ATTACHMENT_MAX_BYTES`` (int, default 20 MiB)
    Largest progress or result attachment (a scanned PDF of a rectification report is a few MiB; a
    phone photo 3–8 MiB). A local choice, not a recalled rule.

``OVERSIGHT_IMPORT_MAX_ROWS`` (int, default 20000)
    Most petitions in one hand-over batch import. The seed's city received 811 petitions in a whole
    inspection round; the limit only stops a runaway upload.

``OVERSIGHT_RECHECK_MAX_SAMPLE`` (int, default 200)
    Most items drawn in one look-back sample (回头看); the seed names no share, the office chooses it.

``OVERSIGHT_CIRCULAR_PREFIX`` (text, default "通报"), ``OVERSIGHT_ORDER_PREFIX`` (text, default "督办")
    The prefix of circular and supervision-order numbers (a local numbering convention).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "OVERSIGHT_ATTACHMENT_MAX_BYTES": 20 * 1024 * 1024,
    "OVERSIGHT_IMPORT_MAX_ROWS": 20_000,
    "OVERSIGHT_RECHECK_MAX_SAMPLE": 200,
    "OVERSIGHT_CIRCULAR_PREFIX": "通报",
    "OVERSIGHT_ORDER_PREFIX": "督办",
}


def _get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def attachment_max_bytes() -> int:
    return int(_get("OVERSIGHT_ATTACHMENT_MAX_BYTES"))


def import_max_rows() -> int:
    return int(_get("OVERSIGHT_IMPORT_MAX_ROWS"))


def recheck_max_sample() -> int:
    return int(_get("OVERSIGHT_RECHECK_MAX_SAMPLE"))


def circular_prefix() -> str:
    return str(_get("OVERSIGHT_CIRCULAR_PREFIX"))


def order_prefix() -> str:
    return str(_get("OVERSIGHT_ORDER_PREFIX"))
