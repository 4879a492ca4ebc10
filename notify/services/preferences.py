"""A user's channel preferences and the inbox's read marks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.audit import snapshot
from core.kernel import audited_save
from notify.choices import (
    PERSONAL_CHANNELS,
    Channel,
)
from notify.models import ChannelPreference, Notification
from notify.services.common import _invalid

_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def normalise_mobile(value: str) -> str:
    """A mainland mobile number as +86 and 11 digits (ValueError when it does not parse)."""
    m = _MOBILE.match(re.sub(r"[\s-]", "", value or ""))
    if not m:
        raise ValueError(f"{value!r} is not a mainland mobile number (11 digits starting 13–19).")
    return f"+86{m.group(1)}"


@transaction.atomic
def preference_set(*, user: Any, channel: str, enabled: bool = True, address: str = "") -> ChannelPreference:
    """Turn a personal channel on or off, optionally at an address of one's own (audited)."""
    if channel == Channel.INBOX:
        raise _invalid("channel", "The inbox cannot be turned off: it is the record of what was sent.")
    if channel not in PERSONAL_CHANNELS:
        raise _invalid("channel", f"One of {', '.join(sorted(PERSONAL_CHANNELS))}; robots are set on rules.")
    address = (address or "").strip()
    if address and channel == Channel.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            raise _invalid("address", f"{address!r} is not an e-mail address.") from None
    if address and channel == Channel.SMS:
        try:
            address = normalise_mobile(address)
        except ValueError as e:
            raise _invalid("address", str(e)) from None
    pref = ChannelPreference.objects.select_for_update().filter(user=user, channel=channel).first()
    before = snapshot(pref) if pref is not None else None
    pref = pref or ChannelPreference(user=user, channel=channel)
    pref.enabled, pref.address = bool(enabled), address
    audited_save(pref, actor=user, before=before)
    return pref


def inbox_mark_read(*, user: Any, ids: Sequence[int] | None = None, at: dt.datetime | None = None) -> int:
    """Mark the user's own inbox rows read (all unread ones when `ids` is None). Returns how many
    changed; ids of other people's rows change nothing."""
    qs = Notification.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=at or timezone.now())
