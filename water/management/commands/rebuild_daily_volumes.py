"""manage.py rebuild_daily_volumes [--meter SERIAL …]: recompute the daily volumes from the readings.

Needed only after a change of the WATER_* settings that the arithmetic reads (jump tolerance, gap
factor, rollover share): the ingest keeps the rows current otherwise. One meter per transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from water.models import Meter
from water.services import daily_volumes_rebuild


class Command(BaseCommand):
    help = "Recompute daily volumes from the readings (all meters, or the given serials)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--meter", action="append", default=[], help="a meter serial (repeatable)")

    def handle(self, *args: Any, **opts: Any) -> None:
        ids = None
        if opts["meter"]:
            found = dict(Meter.objects.filter(serial__in=opts["meter"]).values_list("serial", "pk"))
            missing = sorted(set(opts["meter"]) - set(found))
            if missing:
                raise CommandError(f"no such meters: {', '.join(missing)}")
            ids = list(found.values())
        rows = daily_volumes_rebuild(meter_ids=ids)
        self.stdout.write(f"{rows} daily rows rebuilt")
