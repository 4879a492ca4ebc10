"""manage.py patrols_recompute --start DATE --end DATE [--division CODE] [--reach CODE] [--dry-run]
[--reason TEXT]: derive stored patrols' figures again under today's rules.

A patrol's distance, coverage, flags and validity are computed when it is stored, under the rules,
reach geometry and cleaning settings of that moment. After the bureau edits a validity rule or a
reach's geometry, or a patrol that should have counted earlier arrives late, this command applies
the present rules to the completed patrols that started in the window (Beijing dates), each change
saved and audited with the reason (``services.patrol_recompute``). Applying new rules to the past is
the bureau's decision, which is why nothing does it on its own.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.scope import SYSTEM_SCOPE
from core.divisions import division_prefix, is_division_code
from core.periods import BEIJING
from patrols import selectors, services
from patrols.choices import PatrolStatus
from patrols.filters import beijing_midnight

ACTOR = "command:patrols_recompute"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Derive the distance, coverage, flags and validity of the completed patrols that started in a "
        "window again, under the rules and reach geometries in force now; each change is audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", required=True, help="first Beijing date (YYYY-MM-DD) of the patrols' start")
        parser.add_argument("--end", required=True, help="last Beijing date (YYYY-MM-DD), inclusive")
        parser.add_argument("--division", help="only patrols on reaches in this division (GB/T 2260 code)")
        parser.add_argument("--reach", help="only patrols on the reach with this code")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument("--reason", default="", help="recorded in each audit row (e.g. the rule change)")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = _date(options["start"]), _date(options["end"])
        if end < start:
            raise CommandError("--end is before --start.")
        qs = selectors.patrol_list(scope=SYSTEM_SCOPE).filter(
            status=PatrolStatus.COMPLETED,
            started_at__gte=beijing_midnight(start),
            started_at__lt=beijing_midnight(end + dt.timedelta(days=1)),
        )
        if options["division"]:
            if not is_division_code(options["division"]):
                raise CommandError("--division: a 6-, 9- or 12-digit GB/T 2260 code.")
            qs = qs.filter(selectors.site_within_division(division_prefix(options["division"])))
        if options["reach"]:
            qs = qs.filter(reach__code=options["reach"])
        ids = list(qs.order_by("started_at", "id").values_list("pk", flat=True))
        reason = (
            options["reason"]
            or f"recomputed under the rules of {timezone.now().astimezone(BEIJING).date().isoformat()}"
        )
        fields: Counter[str] = Counter()
        changed = 0
        for pk in ids:
            names = services.patrol_recompute(patrol_id=pk, actor=ACTOR, reason=reason, dry_run=options["dry_run"])
            if names:
                changed += 1
                fields.update(names)
                self.stdout.write(f"{pk}: {', '.join(names)}")
        verb = "would change" if options["dry_run"] else "changed"
        summary = ", ".join(f"{name} {n}" for name, n in sorted(fields.items())) or "nothing"
        self.stdout.write(f"{len(ids)} patrols read, {changed} {verb} ({summary}).")
