"""The ledger pages (台账): one view for every ledger of console.ledgers. An htmx request (filter bar,
sorting, paging) gets the table alone; a bad filter value is a message on the page with status 400."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from console.ledgers import LEDGERS
from console.ledgers.base import LedgerError, empty_page, ledger_page
from console.views.base import console_page, page, scope

# URL name → ledger slug (console/urls.py builds the routes from it).
LEDGER_URLS = {
    "intake_list": ("water/intakes/", "intakes"),
    "meter_list": ("water/meters/", "meters"),
    "reading_list": ("water/readings/", "readings"),
    "station_list": ("water/stations/", "stations"),
    "alert_list": ("water/alerts/", "alerts"),
    "plan_list": ("water/plans/", "plans"),
    "redline_list": ("water/redlines/", "redlines"),
    "lock_list": ("water/locks/", "locks"),
    "patrol_list": ("river/patrols/", "patrols"),
    "litter_list": ("river/litter/", "litter"),
    "plant_list": ("reuse/plants/", "plants"),
    "project_list": ("reuse/projects/", "projects"),
    "pipeline_list": ("reuse/pipelines/", "pipelines"),
    "section_list": ("quality/sections/", "sections"),
}


def ledger_view(url_name: str, slug: str) -> Callable[[HttpRequest], HttpResponse]:
    ledger = LEDGERS[slug]

    @console_page(f"console:{url_name}")
    def view(request: HttpRequest) -> HttpResponse:
        status = 200
        sc = scope(request)
        try:
            data = ledger_page(ledger=ledger, scope=sc, params=request.GET)
        except LedgerError as exc:
            data = empty_page(ledger=ledger, params=request.GET, errors=exc.messages, scope=sc)
            status = 400
        context = {"ledger": ledger, "data": data, "list_url": request.path}
        template = "console/ledger/_table.html" if getattr(request, "htmx", False) else "console/ledger/list.html"
        return page(request, template, context, title=ledger.title, status=status)

    view.__name__ = f"{slug}_list"
    return view
