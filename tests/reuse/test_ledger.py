"""Ledger rules of plants, projects and users: the services refuse bad input naming the field and write
nothing, every change is audited, and the database constraints hold even when the services are
bypassed (on SpatiaLite and PostGIS alike)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.gis.geos import LineString, Point
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.scope import SYSTEM_SCOPE, scope_for
from core.exceptions import InvalidInput
from core.models import AuditLog
from reuse import services
from reuse.choices import ProjectKind, ProjectStatus, SubUse, UseClass
from reuse.models import MonthlyDelivery, MonthlyPlantVolume, Plant, Project, WaterUser
from tests.reuse.conftest import month, pt

pytestmark = pytest.mark.django_db
ACTOR = "test"


def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return set(exc.value.fields)


# --------------------------------------------------------------------------- plants


def test_plant_create_is_audited(ledger):
    plant = ledger["plant_e"]
    assert plant.division.code == "650102"
    assert plant.design_capacity_m3d == Decimal("100000.00")
    log = AuditLog.objects.get(entity="reuse.plant", entity_id=str(plant.pk))
    assert log.action == "create"
    assert log.actor_label == "test"
    assert log.after["code"] == "P-E"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "P-E"}, "code"),  # already used
        ({"division_code": "650199"}, "division"),
        ({"design_capacity_m3d": Decimal(0)}, "design_capacity_m3d"),
        ({"actual_capacity_m3d": Decimal(-1)}, "actual_capacity_m3d"),
        ({"commissioned_on": dt.date(2999, 1, 1)}, "commissioned_on"),
        ({"kind": "nuclear"}, "kind"),
        ({"location": LineString((87.7, 43.8), (87.8, 43.9), srid=4326)}, "location"),
    ],
)
def test_plant_bad_input_names_the_field_and_writes_nothing(ledger, change, field):
    plants, audits = Plant.objects.count(), AuditLog.objects.count()
    kwargs = {
        "actor": ACTOR,
        "code": "P-NEW",
        "name": "新厂",
        "division_code": "650102",
        "location": pt(87.7, 43.8),
        "design_capacity_m3d": Decimal(1000),
        **change,
    }
    with pytest.raises(InvalidInput) as exc:
        services.plant_create(scope=SYSTEM_SCOPE, **kwargs)
    assert field in _fields(exc)
    assert Plant.objects.count() == plants
    assert AuditLog.objects.count() == audits


def test_plant_outside_the_writers_scope_is_refused(ledger, make_user):
    reviewer = make_user(Role.REVIEWER, "650103", username="rev_w")
    with pytest.raises(InvalidInput) as exc:
        services.plant_create(
            actor=reviewer,
            code="P-X",
            name="x",
            division_code="650102",
            location=pt(87.7, 43.8),
            design_capacity_m3d=Decimal(1000),
            scope=scope_for(reviewer),
        )
    assert _fields(exc) == {"division"}


def test_scope_is_required_and_none_is_not_everything(ledger, make_user):
    """The services used to take `scope=None` as "no restriction" (fail open): a caller that forgot the
    scope could file rows anywhere. The scope is now required, and a caller without a jurisdiction
    (NO_SCOPE) resolves nothing."""
    values = {"actor": ACTOR, "code": "P-Y", "name": "y", "division_code": "650102", "location": pt(87.7, 43.8)}
    values["design_capacity_m3d"] = Decimal(1000)
    with pytest.raises(TypeError, match="scope"):
        services.plant_create(**values)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="scope"):
        services.plant_volumes_record(actor=ACTOR, rows=[])  # type: ignore[call-arg]
    nobody = make_user(Role.REVIEWER, "", username="no_jurisdiction")
    with pytest.raises(InvalidInput) as exc:
        services.plant_create(**values, scope=scope_for(nobody))
    assert exc.value.fields == {"division": ["No division '650102' in your jurisdiction."]}
    row = {"plant": ledger["plant_e"].code, "month": month(1), "treated_m3": Decimal(1), "produced_m3": 0}
    with pytest.raises(InvalidInput) as exc:
        services.plant_volumes_record(actor=ACTOR, rows=[row], scope=scope_for(nobody))
    assert "volumes[0].plant" in exc.value.fields
    assert not Plant.objects.filter(code="P-Y").exists()
    assert not MonthlyPlantVolume.objects.filter(plant=ledger["plant_e"], month=month(1)).exists()


def test_plant_update_audits_changes_and_ignores_no_ops(ledger):
    plant = ledger["plant_e"]
    before = AuditLog.objects.filter(entity="reuse.plant", entity_id=str(plant.pk)).count()
    services.plant_update(
        scope=SYSTEM_SCOPE, plant=plant, actor=ACTOR, changes={"design_capacity_m3d": Decimal(100_000)}
    )
    assert AuditLog.objects.filter(entity="reuse.plant", entity_id=str(plant.pk)).count() == before
    services.plant_update(
        scope=SYSTEM_SCOPE, plant=plant, actor=ACTOR, changes={"actual_capacity_m3d": Decimal(80_000), "name": "新名"}
    )
    log = AuditLog.objects.filter(entity="reuse.plant", entity_id=str(plant.pk)).first()
    assert log.action == "update"
    assert log.before["name"] == "东区污水处理厂"
    assert log.after["name"] == "新名"
    assert log.after["actual_capacity_m3d"] == "80000.00"
    plant.refresh_from_db()
    assert plant.updated_at > plant.created_at


# --------------------------------------------------------------------------- projects


def _project(**kw):
    return {
        "actor": ACTOR,
        "code": "PR-NEW",
        "name": "工程",
        "kind": ProjectKind.OTHER,
        "division_code": "650102",
        **kw,
    }


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        # a project that completes before it starts
        (
            {"status": ProjectStatus.COMPLETED, "started_on": dt.date(2024, 5, 1), "completed_on": dt.date(2024, 4, 1)},
            "completed_on",
        ),
        (
            {
                "status": ProjectStatus.OPERATING,
                "started_on": dt.date(2024, 1, 1),
                "completed_on": dt.date(2024, 5, 1),
                "operating_since": dt.date(2024, 4, 30),
            },
            "operating_since",
        ),
        ({"status": ProjectStatus.COMPLETED, "started_on": dt.date(2024, 1, 1)}, "completed_on"),
        ({"status": ProjectStatus.UNDER_CONSTRUCTION}, "started_on"),
        ({"status": ProjectStatus.PLANNED, "started_on": dt.date(2024, 1, 1)}, "started_on"),
        ({"status": ProjectStatus.UNDER_CONSTRUCTION, "started_on": dt.date(2999, 1, 1)}, "started_on"),
        ({"kind": ProjectKind.PIPELINE}, "route"),
        # a "pipeline" of one point repeated has no length
        ({"kind": ProjectKind.PIPELINE, "route": LineString((87.7, 43.8), (87.7, 43.8), srid=4326)}, "route"),
        ({"kind": ProjectKind.OTHER, "route": LineString((87.7, 43.8), (87.8, 43.9), srid=4326)}, "route"),
        ({"kind": ProjectKind.PUMP_STATION}, "location"),
        ({"kind": ProjectKind.TAIL_WATER_REUSE}, "plant"),
        ({"plant_code": "NOPE"}, "plant"),
        ({"investment_yuan": Decimal(-5)}, "investment_yuan"),
        ({"capacity_m3d": Decimal(0)}, "capacity_m3d"),
        ({"material": "gold"}, "material"),
        ({"location": LineString((87.7, 43.8), (87.8, 43.9), srid=4326)}, "location"),
    ],
)
def test_project_bad_input_names_the_field_and_writes_nothing(ledger, kw, field):
    projects, audits = Project.objects.count(), AuditLog.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.project_create(scope=SYSTEM_SCOPE, **_project(**kw))
    assert field in _fields(exc), exc.value.fields
    assert Project.objects.count() == projects
    assert AuditLog.objects.count() == audits


def test_pipeline_length_is_computed_not_taken(ledger):
    pipeline = ledger["pipeline"]
    assert pipeline.route.geom_type == "MultiLineString"
    assert 8_000 < pipeline.length_m < 12_000
    # Moving the route recomputes the length, through the service.
    longer = LineString([(87.45, 43.7), (87.5, 43.75), (87.55, 43.76), (87.58, 43.78)], srid=4326)
    services.project_update(scope=SYSTEM_SCOPE, project=pipeline, actor=ACTOR, changes={"route": longer})
    pipeline.refresh_from_db()
    assert pipeline.length_m > 12_000
    log = AuditLog.objects.filter(entity="reuse.project", entity_id=str(pipeline.pk)).first()
    assert log.before["length_m"] < log.after["length_m"]


def test_project_update_cannot_change_the_status(ledger):
    with pytest.raises(InvalidInput) as exc:
        services.project_update(
            scope=SYSTEM_SCOPE, project=ledger["station"], actor=ACTOR, changes={"status": ProjectStatus.OPERATING}
        )
    assert _fields(exc) == {"status"}


def test_advance_walks_the_workflow_step_by_step(ledger):
    project = services.project_create(scope=SYSTEM_SCOPE, **_project())
    assert project.status == ProjectStatus.PLANNED
    with pytest.raises(InvalidInput) as exc:  # no skipping
        services.project_advance(project=project, status=ProjectStatus.COMPLETED, on=dt.date(2024, 3, 1), actor=ACTOR)
    assert _fields(exc) == {"status"}
    project.refresh_from_db()
    services.project_advance(
        project=project, status=ProjectStatus.UNDER_CONSTRUCTION, on=dt.date(2024, 3, 1), actor=ACTOR
    )
    with pytest.raises(InvalidInput) as exc:  # completes before it starts
        services.project_advance(project=project, status=ProjectStatus.COMPLETED, on=dt.date(2024, 2, 1), actor=ACTOR)
    assert _fields(exc) == {"on"}
    project.refresh_from_db()
    assert project.status == ProjectStatus.UNDER_CONSTRUCTION
    assert project.completed_on is None
    services.project_advance(project=project, status=ProjectStatus.COMPLETED, on=dt.date(2024, 9, 1), actor=ACTOR)
    services.project_advance(project=project, status=ProjectStatus.OPERATING, on=dt.date(2024, 9, 15), actor=ACTOR)
    project.refresh_from_db()
    assert (project.started_on, project.completed_on, project.operating_since) == (
        dt.date(2024, 3, 1),
        dt.date(2024, 9, 1),
        dt.date(2024, 9, 15),
    )
    with pytest.raises(InvalidInput) as exc:
        services.project_advance(project=project, status=ProjectStatus.OPERATING, on=dt.date(2024, 10, 1), actor=ACTOR)
    assert exc.value.code == "already_operating"
    transitions = AuditLog.objects.filter(entity="reuse.project", entity_id=str(project.pk), action="transition")
    assert transitions.count() == 3
    assert {t.after["status"] for t in transitions} == {"under_construction", "completed", "operating"}


def test_advance_refuses_a_date_in_the_future(ledger):
    project = services.project_create(scope=SYSTEM_SCOPE, **_project())
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as exc:
        services.project_advance(project=project, status=ProjectStatus.UNDER_CONSTRUCTION, on=tomorrow, actor=ACTOR)
    assert _fields(exc) == {"on"}


# --------------------------------------------------------------------------- users


def test_the_sub_use_implies_the_class(ledger):
    assert ledger["u_green"].use_class == UseClass.URBAN
    assert ledger["u_eco"].use_class == UseClass.ENVIRONMENTAL
    assert ledger["u_cool"].use_class == UseClass.INDUSTRIAL


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"use_class": "spaceship"}, "use_class"),
        ({"use_class": UseClass.INDUSTRIAL, "sub_use": SubUse.GREENING}, "sub_use"),
        ({"sub_use": "swimming"}, "sub_use"),
        ({}, "use_class"),
        ({"use_class": UseClass.URBAN, "contract_volume_m3": Decimal(-1)}, "contract_volume_m3"),
        ({"use_class": UseClass.URBAN, "plant_code": "NOPE"}, "plant"),
    ],
)
def test_user_bad_input_names_the_field(ledger, kw, field):
    users = WaterUser.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.water_user_create(
            scope=SYSTEM_SCOPE, actor=ACTOR, code="U-NEW", name="x", division_code="650102", **kw
        )
    assert field in _fields(exc)
    assert WaterUser.objects.count() == users


def test_changing_the_class_drops_a_sub_use_of_another_class(ledger):
    user = services.water_user_update(
        scope=SYSTEM_SCOPE, user=ledger["u_green"], actor=ACTOR, changes={"use_class": UseClass.INDUSTRIAL}
    )
    assert (user.use_class, user.sub_use) == (UseClass.INDUSTRIAL, "")
    user = services.water_user_update(scope=SYSTEM_SCOPE, user=user, actor=ACTOR, changes={"sub_use": SubUse.LANDSCAPE})
    assert (user.use_class, user.sub_use) == (UseClass.ENVIRONMENTAL, SubUse.LANDSCAPE)


# --------------------------------------------------------------------------- the database backstop


def _violates(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_constraints_hold_when_the_services_are_bypassed(ledger):
    d = ledger["tianshan"]
    p = ledger["plant_e"]
    _violates(
        lambda: Project.objects.create(
            code="X1",
            name="x",
            kind=ProjectKind.OTHER,
            division=d,
            status=ProjectStatus.COMPLETED,
            started_on=dt.date(2024, 5, 1),
            completed_on=dt.date(2024, 4, 1),
        )
    )
    _violates(
        lambda: Project.objects.create(
            code="X2", name="x", kind=ProjectKind.OTHER, division=d, status=ProjectStatus.COMPLETED
        )
    )
    _violates(lambda: Project.objects.create(code="X3", name="x", kind=ProjectKind.PIPELINE, division=d))
    _violates(lambda: Project.objects.create(code="X4", name="x", kind=ProjectKind.PUMP_STATION, division=d))
    _violates(
        lambda: WaterUser.objects.create(
            code="X5", name="x", division=d, use_class=UseClass.INDUSTRIAL, sub_use=SubUse.GREENING
        )
    )
    _violates(
        lambda: MonthlyPlantVolume.objects.create(
            plant=p, month=month(3), treated_m3=Decimal(10), produced_m3=Decimal(11), source="api"
        )
    )
    _violates(
        lambda: MonthlyPlantVolume.objects.create(
            plant=p, month=dt.date(2024, 3, 2), treated_m3=Decimal(10), produced_m3=Decimal(1), source="api"
        )
    )
    _violates(
        lambda: MonthlyDelivery.objects.create(
            plant=p, month=month(3), use_class=UseClass.URBAN, volume_m3=Decimal(-1), source="api"
        )
    )
    MonthlyDelivery.objects.create(plant=p, month=month(3), use_class=UseClass.URBAN, volume_m3=1, source="api")
    _violates(  # one unmetered row per plant, month, class and sub-use
        lambda: MonthlyDelivery.objects.create(
            plant=p, month=month(3), use_class=UseClass.URBAN, volume_m3=2, source="api"
        )
    )
    assert Project.objects.filter(code__startswith="X").count() == 0


def test_a_valid_point_project_saves(ledger):
    project = services.project_create(
        scope=SYSTEM_SCOPE,
        **_project(kind=ProjectKind.PUMP_STATION, location=Point(87.7, 43.8, srid=4326), capacity_m3d=Decimal(20_000)),
    )
    assert project.length_m is None
    assert project.capacity_m3d == Decimal("20000.00")
