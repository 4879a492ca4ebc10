"""Closed sets of the oversight ledger (domain.md §9). Labels are English source strings translated by
the app's zh_Hans catalogue (oversight/locale/), so the product shows the seed's own terms."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RoundKind(models.TextChoices):
    """Who inspected: the central inspection, the region's own, or the river-chief office's."""

    CENTRAL = "central", _("Central ecological-environment inspection")
    PROVINCIAL = "provincial", _("Provincial (autonomous-region) inspection")
    OFFICE = "office", _("River-chief office inspection")


class FindingCategory(models.TextChoices):
    WATER_RESOURCES = "water_resources", _("Water resources")
    RIVER_LAKE = "river_lake", _("Rivers and lakes")
    WATER_POLLUTION = "water_pollution", _("Water pollution")
    OTHER = "other", _("Other")


class TaskStatus(models.TextChoices):
    """not started → in progress → completed → signed off (销号); completed goes back to in progress when
    the office returns it; signed off goes back to in progress when a recheck finds a relapse."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    SIGNED_OFF = "signed_off", _("Signed off")


# (from, to) pairs a service may make, and the action that makes each.
TASK_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "start": ((TaskStatus.NOT_STARTED,), TaskStatus.IN_PROGRESS),
    "complete": ((TaskStatus.IN_PROGRESS,), TaskStatus.COMPLETED),
    "return": ((TaskStatus.COMPLETED,), TaskStatus.IN_PROGRESS),
    "sign_off": ((TaskStatus.COMPLETED,), TaskStatus.SIGNED_OFF),
    "reopen": ((TaskStatus.SIGNED_OFF, TaskStatus.COMPLETED), TaskStatus.IN_PROGRESS),
}


class Timeliness(models.TextChoices):
    """Derived from the dates, never stored: completed on time / completed late / overdue / not yet due."""

    ON_TIME = "on_time", _("Completed on time")
    LATE = "completed_late", _("Completed late")
    OVERDUE = "overdue", _("Overdue")
    NOT_DUE = "not_due", _("Not yet due")


class MilestoneKind(models.TextChoices):
    """The lead units split each task into monthly and quarterly steps (细化分解至月和季, seed)."""

    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")


class MilestoneStatus(models.TextChoices):
    # With a context: notify's "Pending" (a message waiting to be sent) is another word in Chinese.
    PENDING = "pending", pgettext_lazy("milestone", "Pending")
    DONE = "done", _("Done")


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")
    ONLINE = "online", _("Online")


class PetitionCategory(models.TextChoices):
    """The pollution types of the public disclosure tables (domain.md §9)."""

    WATER = "water", _("Water")
    AIR = "air", _("Air")
    SOIL = "soil", _("Soil")
    NOISE = "noise", _("Noise")
    ECOLOGY = "ecology", _("Ecology")
    OTHER = "other", _("Other")


class Substantiated(models.TextChoices):
    YES = "yes", _("Substantiated")
    PARTLY = "partly", _("Partly substantiated")
    NO = "no", _("Not substantiated")


class PetitionStatus(models.TextChoices):
    OPEN = "open", _("Not closed")
    STAGE_CLOSED = "stage_closed", _("Closed at a stage")
    CLOSED = "closed", _("Closed")


class ReviewState(models.TextChoices):
    """Where a unit's submission stands with the office: none yet, waiting, accepted, returned."""

    NONE = "none", _("Not submitted")
    SUBMITTED = "submitted", _("Submitted for review")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")


class OrderSubject(models.TextChoices):
    TASK = "task", _("Rectification task")
    MILESTONE = "milestone", _("Milestone")
    PETITION = "petition", _("Petition")
    CASE = "case", _("Four-chaos case")


class CircularStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")


class RecheckItem(models.TextChoices):
    TASK = "task", _("Rectification task")
    PETITION = "petition", _("Petition")


class RecheckOutcome(models.TextChoices):
    PENDING = "pending", pgettext_lazy("recheck", "Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    RELAPSED = "relapsed", _("Relapsed")
