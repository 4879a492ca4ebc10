"""Reads of the reports app: snapshots the caller may see (their division lies in the caller's
jurisdiction), without the file columns unless asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.scope import SYSTEM_SCOPE, Scope
from core.divisions import division_prefix
from core.exceptions import InvalidInput, NotFound
from places.selectors import division_list, lake_list, reach_list, site_filter_check
from reports.models import ReportSnapshot

READ_ROLES = (Role.ADMIN, Role.REVIEWER, Role.CHIEF)


def snapshot_list(*, scope: Scope) -> QuerySet[ReportSnapshot]:
    qs = ReportSnapshot.objects.defer("xlsx", "pdf", "figures", "diff").select_related("requested_by", "signed_off_by")
    if scope.everything:
        return qs
    if scope.role not in READ_ROLES:
        return qs.none()
    return scope.filter(qs, "division_code")


def snapshot_get(*, scope: Scope, snapshot_id: int, files: bool = False) -> ReportSnapshot:
    qs = snapshot_list(scope=scope).defer(None) if files else snapshot_list(scope=scope).defer("xlsx", "pdf")
    snap = qs.filter(pk=snapshot_id).first()
    if snap is None:
        raise NotFound(_("No such report snapshot in your jurisdiction."))
    return snap


# --------------------------------------------------------------------------- places a report names


def division_name(code: str) -> str | None:
    """A division's name (the report's header names it; the caller's scope was checked already)."""
    return division_list(scope=SYSTEM_SCOPE).filter(code=code).values_list("name", flat=True).first()


def division_exists(code: str) -> bool:
    return division_list(scope=SYSTEM_SCOPE).filter(code=code).exists()


@dataclass(frozen=True, slots=True)
class ReportSite:
    """The one reach or lake a report is narrowed to (issue 19)."""

    kind: str  # "reach" | "lake"
    id: int
    code: str
    name: str
    division_code: str
    river_id: int | None  # a reach's river (its intakes are the reach's water figures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "division_code": self.division_code,
        }

    def params(self) -> dict[str, int]:
        """The query parameter that names it (`reach=` or `lake=`)."""
        return {self.kind: self.id}


def report_site(
    *, scope: Scope, reach_id: int | None, lake_id: int | None, division_code: str | None = None
) -> ReportSite | None:
    """The reach or lake a report is asked for, scoped as the ledgers' `reach=`/`lake=`: one outside
    the caller's scope, or that does not exist, is a 400 naming the field, and so is giving both. With a
    `division=` too, the reach or lake must lie inside that division (else a 400 naming it, rather than
    a report whose patrol figures are empty)."""
    if reach_id is None and lake_id is None:
        return None
    if reach_id is not None and lake_id is not None:
        raise InvalidInput(
            _("Give a reach or a lake, not both."), fields={"lake": [_("Give a reach or a lake, not both.")]}
        )
    site_filter_check(scope=scope, reach_id=reach_id, lake_id=lake_id)
    site: ReportSite
    if reach_id is not None:
        reach = reach_list(scope=SYSTEM_SCOPE).get(pk=reach_id)
        site = ReportSite("reach", reach.pk, reach.code, reach.name, reach.division.code, reach.river_id)
    elif lake_id is not None:
        lake = lake_list(scope=SYSTEM_SCOPE).get(pk=lake_id)
        site = ReportSite("lake", lake.pk, lake.code, lake.name, lake.division.code, None)
    else:  # unreachable: one of the two is given (checked above)
        return None
    site_in_division_check(site=site, division_code=division_code)
    return site


def site_in_division_check(*, site: ReportSite | None, division_code: str | None) -> None:
    """A reach or lake given with a `division=` lies inside that division: otherwise a 400 naming
    `reach` or `lake` (the two filters together could only select nothing)."""
    if site is None or not division_code:
        return
    if site.division_code.startswith(division_prefix(division_code)):
        return
    if site.kind == "reach":
        raise InvalidInput(
            _("Reach %(code)s is not in division %(division_code)s.")
            % {"code": site.code, "division_code": division_code},
            fields={"reach": [_("Not in the division given.")]},
        )
    raise InvalidInput(
        _("Lake or reservoir %(code)s is not in division %(division_code)s.")
        % {"code": site.code, "division_code": division_code},
        fields={"lake": [_("Not in the division given.")]},
    )
