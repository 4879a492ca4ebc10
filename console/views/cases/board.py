"""The case board (问题台账/督办): cases by state as tabs with their counts, the API's own FilterSet
(division, reach, category, found and deadline windows, overdue only), a whitelisted sort, pages of 50,
overdue cases marked; and the office's bulk assignment (the ticked cases through case_assign_many, each
case assigned or refused as case_assign would, the refused ones named with the service's reason)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as DRFValidationError

from console import formats as f
from console.ledgers.base import PAGE_SIZE, LedgerError, _check_booleans, _drf_messages, check_division
from console.ledgers.definitions import GEOMETRY, lake_options, reach_options
from console.views import actions
from console.views.base import console_page, page, scope
from console.views.cases.common import OPEN, is_overdue, may_step, parse_id
from core.exceptions import Forbidden, ServiceError
from patrols import selectors, services
from patrols.choices import CaseCategory, CaseStatus
from patrols.filters import CaseFilter
from patrols.models import Case

SORTS = {"found_at", "deadline", "status", "category", "reach__code"}
FILTER_KEYS = ("division", "reach", "lake", "category", "start", "end", "deadline_from", "deadline_to", "overdue")


def _url(params: QueryDict, **changes: Any) -> str:
    q = params.copy()
    for key, value in changes.items():
        q.pop(key, None)
        if isinstance(value, list | tuple):
            q.setlist(key, [str(v) for v in value])
        elif value not in (None, ""):
            q[key] = str(value)
    return "?" + q.urlencode() if q else "?"


def _tabs(params: QueryDict, counts: dict[str, int]) -> list[dict[str, Any]]:
    """One tab per state with its count under the other filters, plus "open" (every state but closed:
    the 待办 link's rows) and "all"."""
    chosen = sorted(params.getlist("status"))
    base = params.copy()
    base.pop("page", None)
    tabs = [
        {
            "key": "open",
            "label": _("Not closed"),
            "status": [s.value for s in OPEN],
            "count": sum(counts.get(s.value, 0) for s in OPEN),
        }
    ]
    tabs += [
        {"key": s.value, "label": s.label, "status": [s.value], "count": counts.get(s.value, 0)} for s in CaseStatus
    ]
    tabs.append({"key": "all", "label": _("All"), "status": [], "count": sum(counts.values())})
    for tab in tabs:
        tab["url"] = _url(base, status=tab["status"])
        tab["active"] = sorted(cast(list[str], tab["status"])) == chosen
    return tabs


def board_data(request: HttpRequest) -> dict[str, Any]:
    """The board's rows, tabs and filter bar for this caller and query string; LedgerError on bad input."""
    sc = scope(request)
    params = request.GET
    check_division(sc, params)
    filter_params = params.copy()
    for key in ("sort", "page"):
        filter_params.pop(key, None)
    base = selectors.case_list(scope=sc).defer("description", "location", "body_sha256", *GEOMETRY)
    fs = CaseFilter(filter_params, queryset=base, scope=sc)
    _check_booleans(fs, filter_params)
    if not fs.is_valid():
        raise LedgerError([f"{k}: {' '.join(v)}" for k, v in fs.errors.items()])
    # The tabs count every state under the other filters (one grouped query).
    others = filter_params.copy()
    others.pop("status", None)
    fs_others = CaseFilter(others, queryset=selectors.case_list(scope=sc), scope=sc)
    try:
        qs = fs.qs
        fs_others.is_valid()
        counts = {row["status"]: row["n"] for row in fs_others.qs.order_by().values("status").annotate(n=Count("pk"))}
    except DRFValidationError as exc:
        raise LedgerError(_drf_messages(exc)) from exc

    sort = params.get("sort", "")
    if sort:
        if sort.lstrip("-") not in SORTS:
            raise LedgerError([_("sort: not a sortable column: %(value)s") % {"value": sort}])
        qs = qs.order_by(sort, "-pk")
    else:
        qs = qs.order_by("-found_at", "-pk")
    raw_page = params.get("page", "1")
    if not raw_page.isdigit() or int(raw_page) < 1:
        raise LedgerError([_("page: no such page.")])
    paginator = Paginator(qs, PAGE_SIZE)
    try:
        current = paginator.page(int(raw_page))
    except EmptyPage as exc:
        raise LedgerError([_("page: no such page.")]) from exc

    today = actions.today()
    staff_assign = may_step(request.user, "assign")
    rows = []
    for c in current.object_list:
        late = is_overdue(c, today)
        rows.append(
            {
                "id": str(c.pk),
                "url": reverse("console:case_detail", args=[c.pk]),
                "found": f.when(c.found_at),
                "category": c.get_category_display(),
                "status": c.get_status_display(),
                "status_code": c.status,
                "reach": c.site.name,
                "division": c.site.division.name,
                "reporter": str(c.reporter) if c.reporter_id else "—",
                "unit": f.text(c.responsible_unit),
                "deadline": f.day(c.deadline),
                "overdue": late,
                "was_overdue": c.overdue_at is not None and not late,
                "selectable": staff_assign and c.status == CaseStatus.REPORTED,
            }
        )
    headers = []
    for key, label in (
        ("found_at", _("Found (Beijing)")),
        ("category", _("Category")),
        ("status", _("Status")),
        ("reach__code", _("Reach")),
        ("", _("Division")),
        ("", _("Reporter")),
        ("", _("Responsible unit")),
        ("deadline", _("Deadline")),
        ("", _("Overdue")),
    ):
        direction = "asc" if sort == key and key else "desc" if key and sort == "-" + key else ""
        url = _url(params, sort="-" + key if direction == "asc" else key, page=None) if key else ""
        headers.append({"label": label, "url": url, "direction": direction})
    number = current.number
    return {
        "rows": rows,
        "headers": headers,
        "count": paginator.count,
        "number": number,
        "pages": paginator.num_pages,
        "tabs": _tabs(params, counts),
        "errors": [],
        "prev_url": _url(params, page=number - 1) if number > 1 else "",
        "next_url": _url(params, page=number + 1) if current.has_next() else "",
        "filters": _filter_bar(request, params),
        "selectable": any(r["selectable"] for r in rows),
        "exports": [
            (label, reverse("patrols:case-export") + _url(filter_params, format=fmt))
            for fmt, label in (("csv", "CSV"), ("xlsx", "Excel"))
        ],
    }


def _filter_bar(request: HttpRequest, params: QueryDict) -> dict[str, Any]:
    sc = scope(request)
    return {
        "values": {k: params.get(k, "") for k in FILTER_KEYS},
        "statuses": params.getlist("status"),
        "reaches": reach_options(sc),
        "lakes": lake_options(sc),
        "categories": CaseCategory.choices,
    }


def _render(
    request: HttpRequest, data: dict[str, Any], status: int, bulk: dict[str, Any] | None = None
) -> HttpResponse:
    context = {
        "data": data,
        "list_url": request.path,
        "bulk": bulk or {},
        "today": actions.today().isoformat(),
        "may_assign": may_step(request.user, "assign"),
        "may_report": may_step(request.user, "assign"),
        "query": request.GET.urlencode(),
    }
    htmx = getattr(request, "htmx", False)
    template = "console/cases/_board.html" if htmx else "console/cases/board.html"
    return page(request, template, context, title=_("Cases"), status=status)


def _refused(request: HttpRequest, exc: LedgerError) -> dict[str, Any]:
    """The board with no rows and the filter's refusal shown (a 400 page)."""
    return {
        "rows": [],
        "headers": [],
        "count": 0,
        "number": 1,
        "tabs": [],
        "errors": exc.messages,
        "filters": _filter_bar(request, request.GET),
        "exports": [],
    }


@console_page("console:case_list")
def case_board(request: HttpRequest) -> HttpResponse:
    try:
        data = board_data(request)
        status = 200
    except LedgerError as exc:
        data = _refused(request, exc)
        status = 400
    return _render(request, data, status)


def _refill(request: HttpRequest, query: str, errors: actions.Errors) -> HttpResponse:
    """The board as it was shown, the ticks and the form kept, the errors beside the fields (400)."""
    request.GET = QueryDict(query)
    try:
        data = board_data(request)
    except LedgerError as exc:
        data = _refused(request, exc)
    ticked = set(request.POST.getlist("case"))
    for row in data["rows"]:
        row["ticked"] = row["id"] in ticked
    return _render(request, data, 400, {"errors": errors, "values": request.POST})


def _label(case: Case) -> str:
    return f"{case.get_category_display()} · {case.site.name} · {f.when(case.found_at)}"


@require_POST
@console_page("console:case_list")
def case_bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign the ticked cases to one unit with one deadline. The unit and the deadline are checked once
    (an error beside the field, nothing written); then the ticked cases go through case_assign_many (one
    lock, the steps and audit rows written in bulk): those it refuses are named with its reason, the
    others are assigned."""
    if not may_step(request.user, "assign"):
        raise PermissionDenied
    query = request.POST.get("query", "")
    back = reverse("console:case_list") + (f"?{query}" if query else "")
    errors: actions.Errors = {}
    unit = request.POST.get("responsible_unit", "").strip()
    if not unit:
        errors["responsible_unit"] = [_("Name the responsible unit.")]
    try:
        deadline = actions.form_date(request, "deadline")
    except actions.FormError as exc:
        errors.update(exc.fields)
        deadline = None
    ids = [parse_id(raw) for raw in request.POST.getlist("case")]
    if not ids:
        errors["case"] = [_("Tick at least one case.")]
    if errors or deadline is None:
        return _refill(request, query, errors)
    writable = selectors.case_writable(scope=scope(request))
    try:
        batch = services.case_assign_many(
            cases=writable,
            case_ids=ids,
            actor=request.user,
            responsible_unit=unit,
            deadline=deadline,
            note=request.POST.get("note", "").strip(),
        )
    except Forbidden:
        raise PermissionDenied from None
    except ServiceError as exc:  # the batch's own input (the unit too long): beside the field, nothing written
        return _refill(request, query, actions.field_errors(exc))
    done = [_label(case) for case in batch.assigned]
    refused = []
    for pk, case, error in batch.refused:
        reasons = actions.field_errors(error)
        refused.append((_label(case) if case else str(pk or "?")[:8], "；".join(" ".join(v) for v in reasons.values())))
    if done:
        messages.success(
            request,
            _("%(n)s case(s) assigned to %(unit)s, deadline %(deadline)s: %(list)s.")
            % {"n": len(done), "unit": unit, "deadline": f.day(deadline), "list": "；".join(done)},
        )
    for label, reason in refused:
        messages.error(request, _("Not assigned: %(case)s — %(reason)s") % {"case": label, "reason": reason})
    return HttpResponseRedirect(back)
