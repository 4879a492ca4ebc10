"""The patrol rule tables (issue 15 item 8): validity rules (minimum duration, length and gap per
level and jurisdiction) and frequency rules (patrols per period and season), listed, created, edited
and deleted through `patrols.services` (`validity_rule_save`, `frequency_rule_save`, `rule_delete`:
admins and reviewers, checked and audited). This is where reviewers keep the rules (patrols/README);
the Django admin is for administrators.

A form carries a fingerprint of the rule as drawn: if someone changed the rule meanwhile, the save or
the delete answers 409 with a message and writes nothing. Bad values are shown beside their fields
with the user's input kept (400), from the service's own checks and the model's `full_clean`."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from console import formats as f
from console.views import actions
from console.views.base import console_page, page, scope
from core.exceptions import Conflict
from patrols import selectors, services
from patrols.choices import ChiefLevel, FrequencyPeriod
from patrols.models import PatrolFrequencyRule, PatrolValidityRule

PAGE = "console:patrol_rules"
KINDS: dict[str, type[PatrolValidityRule] | type[PatrolFrequencyRule]] = {
    "validity": PatrolValidityRule,
    "frequency": PatrolFrequencyRule,
}
Rule = PatrolValidityRule | PatrolFrequencyRule


class Invalid(actions.FormError):
    """Several fields refused at once (the model's full_clean), shown beside each."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        Exception.__init__(self, "; ".join(m for msgs in fields.values() for m in msgs))
        self.fields = fields
        self.status_code = 400


# The form shows the minimum duration in minutes (the rules are written so: "≥ 30 min"); the model
# keeps seconds.
FORM_NAMES = {"min_duration_s": "min_duration_min", NON_FIELD_ERRORS: "form"}


def fingerprint(rule: Rule) -> str:
    values = {fl.attname: getattr(rule, fl.attname) for fl in rule._meta.concrete_fields}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _whole(request: HttpRequest, name: str, *, required: bool = True, low: int = 0, high: int = 10**9) -> int | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        if required:
            raise actions.FormError(name, _("This field is required."))
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise actions.FormError(name, _("A whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return int(raw)


def _minutes(request: HttpRequest, name: str) -> int:
    raw = request.POST.get(name, "").strip()
    try:
        value = Decimal(raw or "0")
    except InvalidOperation:
        raise actions.FormError(name, _("A number of minutes such as 30.")) from None
    if not value.is_finite() or value < 0 or value > 24 * 60:
        raise actions.FormError(name, _("A number of minutes from 0 to 1440."))
    return round(value * 60)


def _choice(request: HttpRequest, name: str, choices: Any) -> str:
    raw = request.POST.get(name, "")
    if raw not in choices.values:
        raise actions.FormError(name, _("Choose one."))
    return raw


def _fill(rule: Rule, request: HttpRequest) -> None:
    """Copy the form onto the rule; every field the page cannot read is named at once (Invalid)."""
    errors: dict[str, list[str]] = {}

    def read(name: str, parse: Any) -> Any:
        try:
            return parse()
        except actions.FormError as exc:
            errors.update(exc.fields)
            return None

    rule.jurisdiction = request.POST.get("jurisdiction", "").strip()
    rule.source = request.POST.get("source", "").strip()
    level = read("level", lambda: _choice(request, "level", ChiefLevel))
    if isinstance(rule, PatrolValidityRule):
        duration = read("min_duration_min", lambda: _minutes(request, "min_duration_min"))
        length = read("min_length_m", lambda: _whole(request, "min_length_m", high=1_000_000))
        gap = read("min_gap_hours", lambda: _whole(request, "min_gap_hours", required=False, high=24 * 366))
        if not errors:
            rule.level, rule.min_duration_s, rule.min_length_m, rule.min_gap_hours = level, duration, length, gap
    else:
        period = read("period", lambda: _choice(request, "period", FrequencyPeriod))
        count = read("required_count", lambda: _whole(request, "required_count", low=1, high=1000))
        first = read("season_start_month", lambda: _whole(request, "season_start_month", low=1, high=12))
        last = read("season_end_month", lambda: _whole(request, "season_end_month", low=1, high=12))
        if not errors:
            rule.level, rule.period, rule.required_count = level, period, count
            rule.season_start_month, rule.season_end_month = first, last
    if errors:
        raise Invalid(errors)


def _save(rule: Rule, actor: Any) -> None:
    try:
        if isinstance(rule, PatrolValidityRule):
            services.validity_rule_save(rule=rule, actor=actor)
        else:
            services.frequency_rule_save(rule=rule, actor=actor)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for name, msgs in exc.message_dict.items():
            fields.setdefault(FORM_NAMES.get(name, name), []).extend(str(m) for m in msgs)
        raise Invalid(fields) from None


# ------------------------------------------------------------------------------------------ list


def _minutes_text(seconds: int) -> str:
    value = Decimal(seconds) / 60
    return f"{value.normalize():f}"


def _validity_rows(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "pk": r.pk,
            "jurisdiction": r.jurisdiction or _("everywhere"),
            "level": r.get_level_display(),
            "duration": _("%(n)s min") % {"n": _minutes_text(r.min_duration_s)},
            "length": f"{f.number(r.min_length_m)} m",
            "gap": _("%(n)s h") % {"n": r.min_gap_hours} if r.min_gap_hours is not None else "—",
            "source": f.text(r.source),
            "edit": reverse("console:patrol_rule_edit", args=["validity", r.pk]),
            "delete": reverse("console:patrol_rule_delete", args=["validity", r.pk]),
            "seen": fingerprint(r),
        }
        for r in selectors.validity_rule_list(scope=scope(request)).order_by("jurisdiction", "level")
    ]


def _frequency_rows(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "pk": r.pk,
            "jurisdiction": r.jurisdiction or _("everywhere"),
            "level": r.get_level_display(),
            "required": _("%(n)s per %(period)s") % {"n": r.required_count, "period": r.get_period_display()},
            "season": _("months %(a)s–%(b)s") % {"a": r.season_start_month, "b": r.season_end_month},
            "source": f.text(r.source),
            "edit": reverse("console:patrol_rule_edit", args=["frequency", r.pk]),
            "delete": reverse("console:patrol_rule_delete", args=["frequency", r.pk]),
            "seen": fingerprint(r),
        }
        for r in selectors.frequency_rule_list(scope=scope(request)).order_by(
            "jurisdiction", "level", "season_start_month"
        )
    ]


def _list_page(request: HttpRequest, form: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    context = {
        "validity": _validity_rows(request),
        "frequency": _frequency_rows(request),
        "form": form or {},
        "new_validity": reverse("console:patrol_rule_new", args=["validity"]),
        "new_frequency": reverse("console:patrol_rule_new", args=["frequency"]),
        "recompute_url": reverse("console:patrol_recompute"),
    }
    return page(request, "console/patrols/rules.html", context, title=_("Patrol rules"), status=status)


@console_page(PAGE)
def rule_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


# ------------------------------------------------------------------------------------------ edit


TITLES = {
    ("validity", True): gettext_lazy("New patrol validity rule"),
    ("validity", False): gettext_lazy("Patrol validity rule"),
    ("frequency", True): gettext_lazy("New patrol frequency rule"),
    ("frequency", False): gettext_lazy("Patrol frequency rule"),
}


def _values(rule: Rule) -> dict[str, Any]:
    values: dict[str, Any] = {"jurisdiction": rule.jurisdiction, "level": rule.level, "source": rule.source}
    if isinstance(rule, PatrolValidityRule):
        values.update(
            min_duration_min=_minutes_text(rule.min_duration_s),
            min_length_m=rule.min_length_m,
            min_gap_hours="" if rule.min_gap_hours is None else rule.min_gap_hours,
        )
    else:
        values.update(
            period=rule.period,
            required_count=rule.required_count,
            season_start_month=rule.season_start_month,
            season_end_month=rule.season_end_month,
        )
    return values


def _edit_page(request: HttpRequest, kind: str, rule: Rule, form: dict[str, Any], status: int = 200) -> HttpResponse:
    new = rule.pk is None
    url = (
        reverse("console:patrol_rule_new", args=[kind])
        if new
        else reverse("console:patrol_rule_edit", args=[kind, rule.pk])
    )
    context = {
        "kind": kind,
        "rule": rule,
        "new": new,
        "form": {"action": "rule", "errors": {}, **form},
        "url": url,
        "seen": "" if new else fingerprint(rule),
        "levels": ChiefLevel.choices,
        "periods": FrequencyPeriod.choices,
        "months": list(range(1, 13)),
        "back": reverse(PAGE),
    }
    return page(
        request,
        "console/patrols/rule_form.html",
        context,
        title=TITLES[(kind, new)],
        crumbs=[(_("Patrol rules"), reverse(PAGE))],
        status=status,
    )


def _stored(request: HttpRequest, kind: str, pk: int) -> Rule:
    model = KINDS[kind]
    reader = selectors.validity_rule_list if model is PatrolValidityRule else selectors.frequency_rule_list
    rule = reader(scope=scope(request)).filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule


SAVED = gettext_lazy("The rule is saved. Patrols already stored keep their validity until you recompute them.")


@require_http_methods(["GET", "POST"])
@console_page(PAGE)
def rule_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    if kind not in KINDS:
        raise Http404
    rule: Rule = _stored(request, kind, pk) if pk is not None else KINDS[kind]()
    if request.method == "GET":
        return _edit_page(request, kind, rule, {"values": _values(rule) if pk is not None else {}})

    def call() -> Any:
        if pk is not None and request.POST.get("seen", "") != fingerprint(rule):
            raise Conflict(_("Someone changed this rule after you opened it: look at it again."), code="rule_changed")
        _fill(rule, request)
        _save(rule, request.user)

    return actions.run_action(
        request,
        "rule",
        call,
        done=SAVED,
        back=reverse(PAGE),
        render=lambda form, status: _edit_page(
            request, kind, _stored(request, kind, pk) if pk is not None else KINDS[kind](), form, status
        ),
    )


@require_POST
@console_page(PAGE)
def rule_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in KINDS:
        raise Http404
    rule = _stored(request, kind, pk)

    def call() -> Any:
        if request.POST.get("seen", "") != fingerprint(rule):
            raise Conflict(_("Someone changed this rule after you opened it: look at it again."), code="rule_changed")
        services.rule_delete(rule=rule, actor=request.user)

    return actions.run_action(
        request,
        f"delete-{kind}-{pk}",
        call,
        done=_("The rule is deleted."),
        back=reverse(PAGE),
        render=lambda form, status: _list_page(request, form, status),
    )
