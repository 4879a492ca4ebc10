"""Writes of petitions (信访件): the hand-over batch import, the unit's result, the office's review,
a four-chaos case opened from a petition, attachments and a relapse's reopening.

Import: every row is checked before anything is written; a batch with any bad row is refused whole,
each bad row named (`rows[3].division`). A petition number already stored with the same hand-over
content is left as it is (re-sending a batch is harmless); with other content the batch is a 409
naming the row and the number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.choices import Role
from accounts.models import User
from accounts.scope import Scope
from core.audit import snapshot
from core.exceptions import Conflict, InvalidInput
from core.kernel import Errors, audited_save
from oversight import conf
from oversight.choices import Channel, PetitionCategory, PetitionStatus, ReviewState, Substantiated
from oversight.models import HandoverBatch, InspectionRound, Petition
from oversight.services import notices
from oversight.services.common import (
    STAFF,
    UNIT_AND_STAFF,
    attachment_store,
    attachments_check,
    invalid,
    is_unit,
    not_handed,
    require_role,
    scoped,
    today,
    transition_refused,
)
from oversight.sql import petitions_insert
from patrols.choices import CaseCategory, CaseSource
from patrols.services import case_report
from places.models import Division, Lake, Reach
from water.models import Intake

_CHANNELS = {
    "热线": Channel.HOTLINE,
    "电话": Channel.HOTLINE,
    "来信": Channel.LETTER,
    "来访": Channel.VISIT,
    "网络": Channel.ONLINE,
    "网上": Channel.ONLINE,
}
_CATEGORIES = {
    "水": PetitionCategory.WATER,
    "水污染": PetitionCategory.WATER,
    "大气": PetitionCategory.AIR,
    "土壤": PetitionCategory.SOIL,
    "噪声": PetitionCategory.NOISE,
    "生态": PetitionCategory.ECOLOGY,
    "其他": PetitionCategory.OTHER,
}
_TRUE = {"true", "1", "yes", "是", "y"}
_FALSE = {"false", "0", "no", "否", "n", ""}
_MAX = {"number": 40, "complaint": 4000}


@dataclass(frozen=True, slots=True)
class ImportResult:
    batch: HandoverBatch
    created: int
    unchanged: int


# The enums' `.values` builds a list on every call: the sets once (the import checks 10,000 rows).
_CHANNEL_CODES = frozenset(Channel.values)
_CATEGORY_CODES = frozenset(PetitionCategory.values)


def _choice(value: str, codes: frozenset[str], zh: Mapping[str, str]) -> str | None:
    if value in codes:
        return value
    return zh.get(value)


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


class _Lookups:
    """Every code a batch names, fetched in one query per kind."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], scope: Scope) -> None:
        def codes(key: str) -> set[str]:
            return {str(r[key]).strip() for r in rows if r.get(key)}

        self.divisions = {
            d.code: d for d in scoped(Division.objects.all(), scope, "code").filter(code__in=codes("division"))
        }
        self.reaches = {r.code: r for r in Reach.objects.filter(code__in=codes("reach"))}
        self.lakes = {r.code: r for r in Lake.objects.filter(code__in=codes("lake"))}
        self.intakes = {r.code: r for r in Intake.objects.filter(code__in=codes("intake"))}
        refs = codes("unit")
        units = list(User.objects.filter(role=Role.UNIT, is_active=True).filter(username__in=refs))
        units += list(User.objects.filter(role=Role.UNIT, is_active=True).filter(display_name__in=refs))
        self.units: dict[str, list[User]] = {}
        for u in {u.pk: u for u in units}.values():
            for ref in {u.username, u.display_name} & refs:
                self.units.setdefault(ref, []).append(u)


def _check_row(
    i: int, raw: Mapping[str, Any], *, rnd: InspectionRound, received_on: dt.date, look: _Lookups, errors: Errors
) -> dict[str, Any] | None:
    """The row's values, or None after naming its problems in `errors`."""
    row = {k: ("" if v is None else str(v).strip()) for k, v in raw.items()}
    p = f"rows[{i}]"
    bad = len(errors.fields)
    unknown = sorted(
        set(row)
        - {
            "number",
            "channel",
            "complaint",
            "division",
            "category",
            "unit",
            "deadline",
            "lon",
            "lat",
            "reach",
            "lake",
            "intake",
            "public",
        }
    )
    for k in unknown:
        errors.add(f"{p}.{k}", "Unknown field.")
    for k in ("number", "channel", "complaint", "division", "category", "unit", "deadline"):
        if not row.get(k):
            errors.add(f"{p}.{k}", "This field is required.")
    for k, limit in _MAX.items():
        if len(row.get(k, "")) > limit:
            errors.add(f"{p}.{k}", f"At most {limit} characters.")
    channel = _choice(row.get("channel", ""), _CHANNEL_CODES, _CHANNELS)
    if row.get("channel") and channel is None:
        errors.add(f"{p}.channel", f"One of {', '.join(Channel.values)} (or 热线, 来信, 来访, 网络).")
    category = _choice(row.get("category", ""), _CATEGORY_CODES, _CATEGORIES)
    if row.get("category") and category is None:
        errors.add(
            f"{p}.category", f"One of {', '.join(PetitionCategory.values)} (or 水, 大气, 土壤, 噪声, 生态, 其他)."
        )
    division = look.divisions.get(row.get("division", ""))
    if row.get("division") and division is None:
        errors.add(f"{p}.division", f"No division {row['division']!r} in your jurisdiction.")
    units = look.units.get(row.get("unit", ""), [])
    if row.get("unit") and len(units) != 1:
        errors.add(f"{p}.unit", f"No member unit {row['unit']!r}." if not units else "Names more than one unit.")
    deadline = _date(row.get("deadline", ""))
    if row.get("deadline"):
        if deadline is None:
            errors.add(f"{p}.deadline", "A date YYYY-MM-DD.")
        elif deadline < rnd.started_on:
            errors.add(f"{p}.deadline", f"Before the round started ({rnd.started_on.isoformat()}).")
        elif deadline < received_on:
            errors.add(f"{p}.deadline", f"Before the batch was received ({received_on.isoformat()}).")
    # (lon, lat) in WGS84 degrees: the insert writes it (a GEOS Point per row costs more than the check).
    location: tuple[float, float] | None = None
    if row.get("lon") or row.get("lat"):
        try:
            lon, lat = float(row.get("lon", "")), float(row.get("lat", ""))
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError
            location = (lon, lat)
        except ValueError:
            errors.add(f"{p}.lon", "Give lon and lat together, in degrees (WGS84).")
    refs = {}
    for key, table in (("reach", look.reaches), ("lake", look.lakes), ("intake", look.intakes)):
        code = row.get(key)
        refs[key] = table.get(code) if code else None
        if code and refs[key] is None:
            errors.add(f"{p}.{key}", f"No {key} {code!r}.")
    public = row.get("public", "").lower()
    if public not in _TRUE | _FALSE:
        errors.add(f"{p}.public", "true or false (是/否).")
    if len(errors.fields) > bad:
        return None
    values = {
        "number": row["number"],
        "channel": channel,
        "complaint": row["complaint"],
        "division": division,
        "category": category,
        "unit": units[0],
        "deadline": deadline,
        "location": location,
        "reach": refs["reach"],
        "lake": refs["lake"],
        "intake": refs["intake"],
        "public": public in _TRUE,
    }
    values["content_sha256"] = _fingerprint(
        rnd.code,
        values["number"],
        channel,
        values["complaint"],
        division.code if division else "",
        category,
        units[0].pk,
        deadline,
        f"{location[0]:.7f},{location[1]:.7f}" if location else "",
        *(getattr(refs[k], "code", "") for k in ("reach", "lake", "intake")),
        values["public"],
    )
    return values


@transaction.atomic
def petition_import(
    *,
    actor: Any,
    scope: Scope,
    round: InspectionRound,
    batch_number: int,
    received_on: dt.date,
    rows: Sequence[Mapping[str, Any]],
) -> ImportResult:
    """Import a hand-over batch: all rows or none. Returns how many were created and unchanged."""
    require_role(actor, STAFF, "import petitions")
    errors = Errors()
    if batch_number < 1:
        errors.add("batch", "A batch number from 1.")
    if received_on < round.started_on:
        errors.add("received_on", f"Before the round started ({round.started_on.isoformat()}).")
    if received_on > today():
        errors.add("received_on", "The date is in the future.")
    if not rows:
        errors.add("rows", "The batch has no rows.")
    if len(rows) > conf.import_max_rows():
        errors.add("rows", f"At most {conf.import_max_rows()} rows in one batch.")
    errors.raise_if_any("The batch was refused; nothing was written.")
    look = _Lookups(rows, scope)
    checked: list[dict[str, Any] | None] = []
    first_row: dict[str, int] = {}
    for i, raw in enumerate(rows):
        values = _check_row(i, raw, rnd=round, received_on=received_on, look=look, errors=errors)
        number = str(raw.get("number") or "").strip()
        if number:
            seen = first_row.setdefault(number, i)
            if seen != i:
                errors.add(f"rows[{i}].number", f"{number} is repeated (first in rows[{seen}]).")
        checked.append(values)
    errors.raise_if_any("The batch was refused; nothing was written.")
    numbers = [v["number"] for v in checked if v]
    stored: dict[str, str] = {}
    for start in range(0, len(numbers), 1000):
        stored.update(
            Petition.objects.filter(number__in=numbers[start : start + 1000]).values_list("number", "content_sha256")
        )
    conflicts = Errors()
    for i, v in enumerate(checked):
        assert v is not None  # noqa: S101 - every row passed the checks above
        if v["number"] in stored and stored[v["number"]] != v["content_sha256"]:
            conflicts.add(f"rows[{i}].number", f"Petition {v['number']} is stored with different content.")
    conflicts.raise_if_any("The batch was refused; nothing was written.", error=Conflict, code="petition_conflict")
    batch = HandoverBatch.objects.filter(round=round, number=batch_number).first()
    if batch is not None and batch.received_on != received_on:
        raise Conflict(
            f"Batch {batch_number} of {round.code} was received on {batch.received_on.isoformat()}.",
            code="batch_conflict",
            fields={"received_on": [f"Stored as {batch.received_on.isoformat()}."]},
        )
    if batch is None:
        batch = HandoverBatch(round=round, number=batch_number, received_on=received_on)
        audited_save(batch, actor=actor, before=None)
    new = [v for v in checked if v and v["number"] not in stored]
    petitions_insert(new, batch=batch, actor=actor, reason=f"hand-over batch {round.code} #{batch_number}")
    return ImportResult(batch=batch, created=len(new), unchanged=len(checked) - len(new))


def unit_may_act(actor: Any, petition: Petition) -> None:
    if is_unit(actor) and petition.unit_id != actor.pk:
        raise not_handed("petition")


def _lock(petition: Petition) -> Petition:
    return Petition.objects.select_for_update().get(pk=petition.pk)


_EXCLUDE = ["batch", "division", "unit", "reach", "lake", "intake", "case"]


@transaction.atomic
def petition_submit(
    *,
    actor: Any,
    petition: Petition,
    result: str,
    substantiated: str,
    measures: str = "",
    reply: str = "",
    status: str,
    files: Sequence[UploadedFile] = (),
) -> Petition:
    """The unit submits its investigation result, whether the complaint was substantiated, the measures,
    the reply, and the status it proposes (办结 or 阶段性办结); the office then accepts or returns it."""
    require_role(actor, UNIT_AND_STAFF, "submit petition results")
    unit_may_act(actor, petition)
    errors = Errors()
    if not result.strip():
        errors.add("result", "This field is required.")
    if substantiated not in Substantiated.values:
        errors.add("substantiated", f"One of {', '.join(Substantiated.values)}.")
    if status not in (PetitionStatus.CLOSED, PetitionStatus.STAGE_CLOSED):
        errors.add("status", f"One of {PetitionStatus.CLOSED}, {PetitionStatus.STAGE_CLOSED}.")
    errors.raise_if_any()
    checked = attachments_check(files)
    p = _lock(petition)
    if p.status == PetitionStatus.CLOSED or p.review == ReviewState.SUBMITTED:
        raise transition_refused(
            "petition", p.status if p.status == PetitionStatus.CLOSED else "submitted", "submitted"
        )
    before = snapshot(p)
    p.result, p.substantiated, p.measures, p.reply = result.strip(), substantiated, measures, reply
    p.proposed_status, p.review, p.return_reason = status, ReviewState.SUBMITTED, ""
    audited_save(p, actor=actor, before=before, reason="result submitted")
    notices.acted(notices.PETITION, p.pk)
    for upload, check in checked:
        attachment_store(actor=actor, owner=p, upload=upload, checked=check)
    return p


@transaction.atomic
def petition_accept(*, actor: Any, petition: Petition, closed_on: dt.date | None = None, note: str = "") -> Petition:
    """The office accepts the submitted result: the petition takes the proposed status."""
    require_role(actor, STAFF, "accept petition results")
    p = _lock(petition)
    if p.review != ReviewState.SUBMITTED:
        raise transition_refused("petition", f"{p.status} ({p.review})", "accepted")
    closed_on = closed_on or today()
    if closed_on > today():
        raise invalid("closed_on", "The date is in the future.", code="future")
    if closed_on < p.batch.received_on:
        raise invalid("closed_on", "Before the petition was received.")
    before = snapshot(p)
    p.status, p.closed_on, p.review, p.proposed_status = p.proposed_status, closed_on, ReviewState.ACCEPTED, ""
    audited_save(p, actor=actor, before=before, reason=note or "accepted")
    notices.acted(notices.PETITION, p.pk)
    return p


@transaction.atomic
def petition_return(*, actor: Any, petition: Petition, reason: str) -> Petition:
    require_role(actor, STAFF, "return petition results")
    if not reason.strip():
        raise invalid("reason", "Say why the result is returned.")
    p = _lock(petition)
    if p.review != ReviewState.SUBMITTED:
        raise transition_refused("petition", f"{p.status} ({p.review})", "returned")
    before = snapshot(p)
    p.review, p.return_reason, p.proposed_status = ReviewState.RETURNED, reason.strip(), ""
    audited_save(p, actor=actor, before=before, reason=reason)
    notices.acted(notices.PETITION, p.pk)
    return p


def petition_reopen(*, actor: Any, petition: Petition, reason: str) -> Petition:
    """A relapse found by a recheck: open again, counted. Runs inside the recheck's transaction."""
    p = _lock(petition)
    if p.status == PetitionStatus.OPEN:
        raise transition_refused("petition", p.status, "reopened")
    before = snapshot(p)
    p.status, p.closed_on, p.review = PetitionStatus.OPEN, None, ReviewState.NONE
    p.reopened_count += 1
    audited_save(p, actor=actor, before=before, reason=reason)
    return p


@transaction.atomic
def petition_open_case(
    *, actor: Any, petition: Petition, category: str, reach: Reach | None = None, location: Point | None = None
) -> Petition:
    """Open a four-chaos case (patrols) for a petition about a river problem, linked both ways (the
    petition names the case; the case's `petition` is this one), instead of keying it in twice."""
    require_role(actor, STAFF, "open cases from petitions")
    p = _lock(petition)
    if p.case_id is not None:
        raise Conflict("The petition already has a case.", code="case_exists", fields={"case": [str(p.case_id)]})
    errors = Errors()
    reach = reach or p.reach
    location = location or p.location
    if category not in CaseCategory.values:
        errors.add("category", f"One of {', '.join(CaseCategory.values)}.")
    if reach is None:
        errors.add("reach", "The petition names no reach; give one.")
    if location is None:
        errors.add("location", "The petition has no point; give one.")
    errors.raise_if_any()
    assert reach is not None  # noqa: S101 - checked above
    assert location is not None  # noqa: S101 - checked above
    found_at = dt.datetime.combine(p.batch.received_on, dt.time(9), tzinfo=dt.UTC)
    case, _ = case_report(
        actor=actor,
        case_id=uuid.uuid4(),
        category=category,
        source=CaseSource.INSPECTION,
        reach=reach,
        location=location,
        description=f"[信访 {p.number}] {p.complaint}"[:2000],
        found_at=found_at,
        legal_basis=f"督察交办信访件 {p.number}",
    )
    before = snapshot(p)
    p.case = case
    audited_save(p, actor=actor, before=before, reason=f"case {case.pk} opened")
    return p


def check_petition_json_row(row: Any, i: int) -> None:
    if not isinstance(row, Mapping):
        raise InvalidInput(f"rows[{i}] is not an object.", fields={f"rows[{i}]": ["An object per petition."]})
