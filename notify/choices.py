"""Closed sets of the notify app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """What the services and jobs report (issue 17 item 1). Domain apps raise these through
    `notify.services.event_raise`; notify never imports them. `escalated` and `digest` are made by
    notify itself (an escalation step, a daily digest) and cannot be the subject of a rule's type
    except `escalated`, which a rule may widen to more people."""

    CASE_ASSIGNED = "case_assigned", _("Case assigned")
    CASE_REJECTED = "case_rejected", _("Case rectification rejected")
    CASE_OVERDUE = "case_overdue", _("Case overdue")
    CASE_CLOSED = "case_closed", _("Case closed")
    PATROL_FLAGGED = "patrol_flagged", _("Patrol flagged for review")
    FREQUENCY_MISSED = "frequency_missed", _("Patrol frequency missed")
    METER_OFFLINE = "meter_offline", _("Meter offline")
    METER_ONLINE = "meter_online", _("Meter back online")
    READING_FLAGGED = "reading_flagged", _("Reading flagged")
    PLAN_80 = "plan_80", _("Use at 80 per cent of plan")
    PLAN_100 = "plan_100", _("Use over plan")
    REDLINE_AT_RISK = "redline_at_risk", _("Red line at risk")
    REPORT_READY = "report_ready", _("Report ready to sign off")
    REPORT_SIGNED_OFF = "report_signed_off", _("Report signed off")
    # Raised by the oversight app where it exists (SPEC §2 oversight).
    OVERSIGHT_TASK_OVERDUE = "oversight_task_overdue", _("Rectification task overdue")
    OVERSIGHT_MILESTONE_OVERDUE = "oversight_milestone_overdue", _("Milestone overdue")
    PETITION_OVERDUE = "petition_overdue", _("Petition overdue")
    SUPERVISION_ORDER_ISSUED = "supervision_order_issued", _("Supervision order issued")
    # Made by notify.
    ESCALATED = "escalated", _("Escalated")
    DIGEST = "digest", _("Daily digest")


# Overdue items that climb the chief ladder when nobody acts on them (issue 17 item 3).
ESCALATING_TYPES = frozenset(
    {
        EventType.CASE_OVERDUE,
        EventType.OVERSIGHT_TASK_OVERDUE,
        EventType.OVERSIGHT_MILESTONE_OVERDUE,
        EventType.PETITION_OVERDUE,
    }
)
# Types a rule may name: everything a service raises, and escalations; not the digest notify makes.
RULE_TYPES = frozenset(EventType.values) - {EventType.DIGEST.value}


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    SMS = "sms", _("SMS")


# Channels that post to a group (the rule's webhook), once per event, rather than to each person.
ROBOT_CHANNELS = frozenset({Channel.WECOM, Channel.DINGTALK})
# Channels that reach a person at an address of theirs (a user may turn them off).
PERSONAL_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS})


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("Daily digest")


class NotificationStatus(models.TextChoices):
    """pending → sending → delivered | pending (retry) | failed; held → digested (in a digest)."""

    PENDING = "pending", _("Pending")
    HELD = "held", _("Held for the digest")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    DIGESTED = "digested", _("Sent in a digest")


class AttemptOutcome(models.TextChoices):
    DELIVERED = "delivered", _("Delivered")
    ERROR = "error", _("Error (will retry)")
    FAILED = "failed", _("Failed (no more tries)")
