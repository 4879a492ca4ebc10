"""case_assign_many: the office's bulk 交办. Each case is assigned or refused as case_assign would
(unknown or out of scope, deadline before the case was found, not reported), a resend of the same
step counts as assigned and writes nothing; the batch's own bad input (role, unit, no cases) writes
nothing; the steps and audit rows of the assigned cases are written once each."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from accounts.scope import scope_for
from core.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from core.models import AuditLog
from patrols import selectors, services
from patrols.models import Case, CaseEvent
from tests.patrols.conftest import T0

pytestmark = pytest.mark.django_db
DUE = dt.date(2099, 1, 1)


def _report(geography: dict[str, Any], actor: Any, reach: str = "reach_e", days: int = 0) -> Case:
    case, _created = services.case_report(
        actor=actor,
        case_id=uuid.uuid4(),
        category="dumping",
        source="complaint",
        location=Point(87.63, 43.83, srid=4326),
        description="建筑垃圾",
        reach=geography[reach],
        found_at=T0 + dt.timedelta(days=days),
    )
    return case


def _assign_many(user: Any, ids: list[Any], **over: Any) -> services.AssignBatch:
    args: dict[str, Any] = {"responsible_unit": "市河长办", "deadline": DUE, "note": "限期整改", **over}
    return services.case_assign_many(
        cases=selectors.case_writable(scope=scope_for(user)), case_ids=ids, actor=user, **args
    )


def _steps(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("to_status", flat=True))


def _audits(case: Case) -> int:
    return AuditLog.objects.filter(entity="patrols.case", entity_id=str(case.pk), action="transition").count()


def test_a_mixed_batch_assigns_some_and_refuses_the_others_with_the_services_reasons(users, geography):
    admin, reviewer = users["admin"], users["city_reviewer"]
    fresh = [_report(geography, admin) for _ in range(3)]
    taken = _report(geography, admin)
    services.case_assign(case=taken, actor=admin, responsible_unit="天山区水务局", deadline=DUE)
    late = _report(geography, admin, days=400)  # found after the deadline asked for below
    stranger = uuid.uuid4()
    deadline = (T0 + dt.timedelta(days=30)).date()
    batch = _assign_many(
        reviewer,
        [fresh[0].pk, taken.pk, fresh[1].pk, late.pk, stranger, None, fresh[2].pk, fresh[0].pk],
        deadline=deadline,
    )
    assert [c.pk for c in batch.assigned] == [f.pk for f in fresh]  # in the order asked, the repeat once
    refused = {pk: (case, error) for pk, case, error in batch.refused}
    assert set(refused) == {taken.pk, late.pk, stranger, None}
    assert isinstance(refused[taken.pk][1], Conflict)
    assert refused[taken.pk][1].code == "invalid_transition"
    assert "status" in refused[taken.pk][1].fields
    assert isinstance(refused[late.pk][1], InvalidInput)
    assert "deadline" in refused[late.pk][1].fields
    assert isinstance(refused[stranger][1], NotFound)
    assert refused[stranger][0] is None
    assert isinstance(refused[None][1], NotFound)
    for case in fresh:
        case.refresh_from_db()
        assert (case.status, case.responsible_unit, case.deadline) == ("assigned", "市河长办", deadline)
        assert case.assigned_at is not None
        assert _steps(case) == ["reported", "assigned"]
        assert _audits(case) == 1
        assert CaseEvent.objects.get(case=case, to_status="assigned").note == "限期整改"
    taken.refresh_from_db()
    late.refresh_from_db()
    assert (taken.responsible_unit, _steps(taken), _audits(taken)) == ("天山区水务局", ["reported", "assigned"], 1)
    assert (late.status, _steps(late), _audits(late)) == ("reported", ["reported"], 0)


def test_the_same_batch_sent_again_is_assigned_and_writes_nothing_more(users, geography):
    admin, reviewer = users["admin"], users["city_reviewer"]
    cases = [_report(geography, admin) for _ in range(2)]
    _assign_many(reviewer, [c.pk for c in cases])
    again = _assign_many(reviewer, [c.pk for c in cases])
    assert [c.pk for c in again.assigned] == [c.pk for c in cases]
    assert again.refused == []
    assert all(_steps(c) == ["reported", "assigned"] and _audits(c) == 1 for c in cases)
    # Another content (another unit) is a real conflict, not a resend.
    other = _assign_many(reviewer, [cases[0].pk], responsible_unit="另一单位")
    assert other.assigned == []
    assert isinstance(other.refused[0][2], Conflict)


def test_a_case_outside_the_jurisdiction_is_refused_as_not_found(users, geography):
    east = _report(geography, users["admin"])  # on the Tianshan reach
    batch = _assign_many(users["reviewer_650103"], [east.pk])  # a Saybagh reviewer
    assert batch.assigned == []
    assert isinstance(batch.refused[0][2], NotFound)
    assert "case_ids" in batch.refused[0][2].fields
    east.refresh_from_db()
    assert east.status == "reported"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"responsible_unit": "  "}, "responsible_unit"),
        ({"responsible_unit": "单" * 201}, "responsible_unit"),
        ({"ids": []}, "case_ids"),
    ],
)
def test_bad_batch_input_names_the_field_and_writes_nothing(users, geography, over, field):
    case = _report(geography, users["admin"])
    ids = over.pop("ids", [case.pk])
    with pytest.raises(InvalidInput) as exc:
        _assign_many(users["city_reviewer"], ids, **over)
    assert field in exc.value.fields
    assert _steps(case) == ["reported"]
    assert _audits(case) == 0


def test_a_chief_may_not_assign_in_bulk(users, geography, chiefs):
    case = _report(geography, chiefs["township"])
    with pytest.raises(Forbidden):
        _assign_many(chiefs["township"], [case.pk])
    case.refresh_from_db()
    assert case.status == "reported"
