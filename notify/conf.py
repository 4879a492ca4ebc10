"""Settings of the notify app, each read from Django settings with its default here.

Any of them can be set from the environment (config/settings/base.py turns every NOTIFY_* variable
into a setting, read as JSON where it parses); the defaults below apply otherwise. No channel needs a
setting to run the demo: the inbox always works; e-mail uses Django's EMAIL_* settings; the robots
take their webhook from each rule; SMS is off until NOTIFY_SMS_GATEWAY_URL is set.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Prefix of the links in the texts (the API path of the row is appended). Local choice.
    "NOTIFY_SITE_URL": "http://127.0.0.1:8000",
    # Language of the texts: Chinese first (SPEC §5).
    "NOTIFY_LANGUAGE": "zh-hans",
    # Tries per notification before it is failed, and the back-off: base × 2^(try-1) seconds, capped.
    # 8 tries from 60 s: 1+2+4+8+16+32+60 min ≈ 2 h of retrying, so a channel down for an hour is
    # retried through its outage and only a longer one fails. Local choice.
    "NOTIFY_MAX_ATTEMPTS": 8,
    "NOTIFY_RETRY_BASE_S": 60,
    "NOTIFY_RETRY_MAX_S": 3600,
    # A claimed send that has not finished after this long is taken to be lost with its worker and is
    # tried again (the provider may then see it twice, with the same message id). Longer than the
    # HTTP timeout below.
    "NOTIFY_SEND_LEASE_S": 120,
    # HTTP timeout for robots and the SMS gateway (seconds).
    "NOTIFY_HTTP_TIMEOUT_S": 10,
    # Hour (Beijing) at which the daily digests go out. Local choice: the start of office hours.
    "NOTIFY_DIGEST_HOUR": 8,
    # With no rule for an event type in a division, the row's own people still get it in their inbox
    # (the inbox is the system's own record and costs nothing to send).
    "NOTIFY_DEFAULT_INBOX": True,
    # Escalation: days without action before an overdue item climbs from a level to the next
    # (village → township → district → city). Recalled practice: river-chief offices typically give
    # a lower level 3–7 working days to act on a 交办/督办 before reporting it upwards; these numbers
    # are the bureau's to set.
    "NOTIFY_ESCALATION_DAYS": {"village": 3, "township": 3, "district": 5, "city": 7},
    # SMS gateway (a JSON POST, README "SMS gateway"); empty = the SMS channel is off.
    "NOTIFY_SMS_GATEWAY_URL": "",
    "NOTIFY_SMS_TOKEN": "",
    "NOTIFY_SMS_SIGN": "河长制",
    # Robots and the gateway must be https; plain http is allowed only to these hosts (tests and the
    # local stand-ins of the demo). Local choice.
    "NOTIFY_HTTP_ALLOWED_HOSTS": ["127.0.0.1"],
    # Channel → dotted path of a class with `send(message) -> Answer` (notify/channels), to replace a
    # provider adapter (e.g. another SMS gateway) without touching the outbox. Empty: the built-in ones.
    "NOTIFY_CHANNEL_BACKENDS": {},
    # Speed (benchmarks/notify_outbox.py). A process trusts "no rule covers this event type in this
    # division" for this many seconds (a rule saved in the same process clears it at once; 0 = always
    # look). Local choice: a new rule reaching other processes within a minute is soon enough.
    "NOTIFY_RULE_CACHE_S": 60,
    # A delivery task claims up to this many due rows at once (its own first, then others due),
    # sends them and records them together.
    "NOTIFY_DELIVER_BATCH": 100,
}


SETTINGS = frozenset(DEFAULTS)


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def max_attempts() -> int:
    return int(get("NOTIFY_MAX_ATTEMPTS"))


def backoff(attempt: int) -> dt.timedelta:
    """Delay before the try after `attempt` (1-based) failed."""
    base = float(get("NOTIFY_RETRY_BASE_S"))
    return dt.timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), float(get("NOTIFY_RETRY_MAX_S"))))


def send_lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(get("NOTIFY_SEND_LEASE_S")))


def http_timeout() -> float:
    return float(get("NOTIFY_HTTP_TIMEOUT_S"))


def escalation_days(level: str) -> int:
    days = get("NOTIFY_ESCALATION_DAYS")
    return int(days.get(level, 5))


def site_url() -> str:
    """The links' prefix, without a trailing slash."""
    return str(get("NOTIFY_SITE_URL")).rstrip("/")


def language() -> str:
    return str(get("NOTIFY_LANGUAGE"))


def digest_hour() -> int:
    return int(get("NOTIFY_DIGEST_HOUR"))


def default_inbox() -> bool:
    return bool(get("NOTIFY_DEFAULT_INBOX"))


def sms_gateway_url() -> str:
    return str(get("NOTIFY_SMS_GATEWAY_URL") or "")


def sms_token() -> str:
    return str(get("NOTIFY_SMS_TOKEN") or "")


def sms_sign() -> str:
    return str(get("NOTIFY_SMS_SIGN"))


def http_allowed_hosts() -> frozenset[str]:
    return frozenset(get("NOTIFY_HTTP_ALLOWED_HOSTS") or ())


def channel_backends() -> dict[str, str]:
    return dict(get("NOTIFY_CHANNEL_BACKENDS") or {})


def rule_cache_s() -> float:
    return float(get("NOTIFY_RULE_CACHE_S"))


def deliver_batch() -> int:
    return int(get("NOTIFY_DELIVER_BATCH"))
