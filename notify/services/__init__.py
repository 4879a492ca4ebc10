"""Writes of the notify app: raising events (routing them into the outbox in the caller's
transaction), rules, preferences, the inbox's read marks, delivery, digests and escalation.

Domain apps call `event_raise` inside the transaction of the change it reports, and
`subject_acted` when someone acts on an item (which stops its escalation). notify never imports a
domain app: the raiser passes the division, the subject's model label and id, the figures of the
text, and the row's own people as user ids.

One module per concern: `events`, `rules`, `preferences` (and the inbox), `delivery`, `digests`,
`escalation`; `common` holds the shared helpers. Callers use the names below (``services.event_raise``).
"""

from notify.services.common import ancestors
from notify.services.delivery import DeliveryResult, notification_deliver, notifications_deliver, outbox_due
from notify.services.digests import digest_compose
from notify.services.escalation import chiefs_and_office, escalation_run
from notify.services.events import event_raise, quiet_until, rules_changed, subject_acted
from notify.services.preferences import inbox_mark_read, normalise_mobile, preference_set
from notify.services.rules import RULE_FIELDS, rule_create, rule_delete, rule_update

__all__ = [
    "RULE_FIELDS",
    "DeliveryResult",
    "ancestors",
    "chiefs_and_office",
    "digest_compose",
    "escalation_run",
    "event_raise",
    "inbox_mark_read",
    "normalise_mobile",
    "notification_deliver",
    "notifications_deliver",
    "outbox_due",
    "preference_set",
    "quiet_until",
    "rule_create",
    "rule_delete",
    "rule_update",
    "rules_changed",
    "subject_acted",
]
