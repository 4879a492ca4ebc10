"""`{% detail_map "patrol" patrol.pk %}`: the small map of a detail page (a patrol's track over its
reach, a case's location, an intake's point). The page must also include
console/map/_assets.html in its head and console/map/_scripts.html plus console/map/detail-map.js
(or `{% detail_map_scripts %}`) before </body>; the geometry comes from console:map_feature, scoped
like every read."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

register = template.Library()

_LABELS = {
    "patrol": gettext_noop("Patrol track on its reach"),
    "case": gettext_noop("Case location"),
    "intake": gettext_noop("Intake location"),
    "petition": gettext_noop("Petition location"),
}


@register.inclusion_tag("console/map/_detail_tag.html")
def detail_map(kind: str, pk: Any, marks: str = "") -> dict[str, str]:
    """`marks`: optional JSON of points to mark over the feature, [{lon, lat, kind, label}] (the patrol
    review page's suspect points: a jump's two ends, dropped points, points far from the reach)."""
    if kind not in _LABELS:
        raise template.TemplateSyntaxError(f"detail_map: kind must be one of {', '.join(_LABELS)}")
    return {"url": reverse("console:map_feature", args=[kind, str(pk)]), "label": _(_LABELS[kind]), "marks": marks}


@register.inclusion_tag("console/map/_detail_scripts.html")
def detail_map_scripts() -> dict[str, str]:
    return {}


@register.inclusion_tag("console/map/_assets.html")
def detail_map_assets() -> dict[str, str]:
    return {}
