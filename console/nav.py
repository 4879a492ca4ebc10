"""The console's navigation (console.md "Information architecture"): groups of items, each shown only to
the roles that may use it. The roles are those of the API views the pages mirror, so the menu never
offers a page that would refuse the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.choices import Role
from accounts.permissions import user_role

ALL = frozenset({Role.ADMIN, Role.REVIEWER, Role.CHIEF, Role.OPERATOR})
STAFF = frozenset({Role.ADMIN, Role.REVIEWER})
RIVER = frozenset({Role.ADMIN, Role.REVIEWER, Role.CHIEF})
WATER = frozenset({Role.ADMIN, Role.REVIEWER, Role.OPERATOR})
ADMIN = frozenset({Role.ADMIN})
# Oversight (督察整改): the office reads and reviews; a member unit reads and acts on what is handed to it.
OVERSIGHT = frozenset({Role.ADMIN, Role.REVIEWER, Role.UNIT})
UNIT = frozenset({Role.UNIT})

ROLE_LABELS = {
    Role.ADMIN: _("Administrator"),
    Role.REVIEWER: _("Reviewer"),
    Role.CHIEF: _("River chief"),
    Role.OPERATOR: _("Intake operator"),
    Role.DEVICE: _("Device"),
    Role.UNIT: _("Member unit"),
}


@dataclass(frozen=True)
class Item:
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    external: str = ""  # a fixed path outside the console (the Django admin)


@dataclass(frozen=True)
class Group:
    label: str | Promise
    items: tuple[Item, ...]


NAV: tuple[Group, ...] = (
    Group(
        _("Overview"),
        (
            Item(_("Home"), "console:home", ALL | UNIT),
            # The map (一张图) is built on its own branch; the item appears once its URL exists.
            Item(_("One map"), "console:map", ALL),
            Item(_("Notifications"), "console:notify_inbox", ALL | {Role.UNIT}),  # every signed-in role's own inbox
        ),
    ),
    Group(
        _("Water resources"),
        (
            Item(_("Intakes"), "console:intake_list", WATER),
            Item(_("Meters"), "console:meter_list", WATER),
            Item(_("Readings"), "console:reading_list", WATER),
            Item(_("Readings review"), "console:reading_review_queue", STAFF),
            Item(_("Enter a reading"), "console:reading_new", WATER),
            Item(_("Telemetry stations"), "console:station_list", STAFF),
            Item(_("Alerts"), "console:alert_list", WATER),
            Item(_("Water plans"), "console:plan_list", STAFF),
            Item(_("Red lines"), "console:redline_list", STAFF),
            Item(_("Red-line state"), "console:redline_year", STAFF),
            Item(_("Month locks"), "console:lock_list", STAFF),
            Item(_("Month-lock calendar"), "console:lock_grid", STAFF),
        ),
    ),
    Group(
        _("River and lake chiefs"),
        (
            Item(_("Patrols"), "console:patrol_list", RIVER),
            Item(_("Patrol review queue"), "console:patrol_review_queue", STAFF),
            Item(_("Chiefs and appointments"), "console:chief_appointments", STAFF),
            Item(_("Patrol rules"), "console:patrol_rules", STAFF),
            Item(_("Recompute patrols"), "console:patrol_recompute", STAFF),
            Item(_("Cases"), "console:case_list", RIVER),
            Item(_("Report a case"), "console:case_report", STAFF),  # the desk's entry of a phoned-in case
            Item(_("Litter removal"), "console:litter_list", RIVER),
        ),
    ),
    Group(
        _("Reclaimed water"),
        (
            Item(_("Plants"), "console:plant_list", STAFF),
            Item(_("Projects"), "console:project_list", STAFF),
            Item(_("Pipelines"), "console:pipeline_list", STAFF),
        ),
    ),
    Group(_("Water quality"), (Item(_("Sections"), "console:section_list", RIVER),)),
    Group(
        _("Oversight"),
        (
            Item(_("My unit's inbox"), "console:oversight_inbox", UNIT),
            Item(_("Inspection findings"), "console:oversight_finding_list", OVERSIGHT),
            Item(_("Rectification tasks"), "console:oversight_task_list", OVERSIGHT),
            Item(_("Petitions"), "console:oversight_petition_list", OVERSIGHT),
            Item(_("Import a hand-over batch"), "console:oversight_petition_import", STAFF),
            Item(_("Supervision orders"), "console:oversight_order_list", OVERSIGHT),
            Item(_("Circulars"), "console:oversight_circular_list", STAFF),
            Item(_("New circular"), "console:oversight_circular_new", STAFF),
        ),
    ),
    Group(
        _("Reports"),
        (
            Item(_("Report snapshots"), "console:report_list", RIVER),  # the API's read roles (reports.selectors)
            Item(_("Build a report"), "console:report_new", STAFF),  # the API's POST roles
        ),
    ),
    Group(_("System"), (Item(pgettext_lazy("console menu", "Administration"), "", ADMIN, external="/admin/"),)),
)


@dataclass
class NavLink:
    label: str | Promise
    url: str
    active: bool
    todo: list[Any] = field(default_factory=list)  # console.todo.Todo badges: what awaits the user there


@dataclass
class NavGroup:
    label: str | Promise
    links: list[NavLink] = field(default_factory=list)


def _url(item: Item) -> str | None:
    if item.external:
        return item.external
    try:
        return reverse(item.url_name)
    except NoReverseMatch:
        return None


def nav_for(user: Any, current: str = "", todo: dict[str, list[Any]] | None = None) -> list[NavGroup]:
    """The menu of this user: only the groups and items their role may use. `current` is the URL name of
    the page shown (its item is marked active); `todo` the 待办 badges by URL name (console.todo)."""
    role = user_role(user)
    out: list[NavGroup] = []
    for group in NAV:
        links = []
        for item in group.items:
            if role not in item.roles:
                continue
            url = _url(item)
            if url is not None:
                badges = (todo or {}).get(item.url_name, [])
                links.append(NavLink(item.label, url, bool(current) and item.url_name == current, badges))
        if links:
            out.append(NavGroup(group.label, links))
    return out


def may_use(user: Any, url_name: str) -> bool:
    """Whether the user's role may open the page of this URL name (pages check it, as the menu does)."""
    role = user_role(user)
    for group in NAV:
        for item in group.items:
            if item.url_name == url_name:
                return role in item.roles
    return role is not None
