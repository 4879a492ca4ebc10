"""The admin: map widgets on the ledger, saves through the services (rules, geodesic length, audit),
no deletions, read-only monthly volumes."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.choices import Role
from core.models import AuditLog
from reuse.models import MonthlyPlantVolume, Project

pytestmark = pytest.mark.django_db
ROUTE = "SRID=4326;MULTILINESTRING((87.45 43.7,87.5 43.75,87.55 43.76))"


@pytest.fixture
def staff(make_user):
    user = make_user(Role.ADMIN, "", username="boss", is_staff=True, is_superuser=True)
    client = Client(headers={"Accept-Language": "en"})  # the suite reads English (tests/conftest.py)
    client.force_login(user)
    return client


def _project_form(ledger, **kw):
    return {
        "code": "PL-ADMIN",
        "name": "后台管网",
        "kind": "pipeline",
        "status": "planned",
        "division": ledger["saybagh"].pk,
        "plant": ledger["plant_w"].pk,
        "route": ROUTE,
        "location": "",
        "started_on": "",
        "completed_on": "",
        "operating_since": "",
        "investment_yuan": "",
        "capacity_m3d": "",
        "diameter_mm": "300",
        "material": "pe",
        "description": "",
        **kw,
    }


def test_ledger_pages_have_map_widgets(staff, ledger):
    for path in ("plant", "project", "wateruser"):
        resp = staff.get(f"/admin/reuse/{path}/add/")
        assert resp.status_code == 200
        assert b"OLMapWidget.js" in resp.content  # django.contrib.gis's OpenLayers map widget
    resp = staff.get(f"/admin/reuse/project/{ledger['pipeline'].pk}/change/")
    assert resp.status_code == 200


def test_admin_save_goes_through_the_service(staff, ledger):
    resp = staff.post("/admin/reuse/project/add/", _project_form(ledger))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    project = Project.objects.get(code="PL-ADMIN")
    assert project.length_m == pytest.approx(ledger["pipeline"].length_m)
    log = AuditLog.objects.get(entity="reuse.project", entity_id=str(project.pk))
    assert (log.action, log.reason, log.actor_label) == ("create", "admin", "boss")


def test_admin_shows_rule_errors_next_to_the_fields(staff, ledger):
    form = _project_form(ledger, status="completed", started_on="2024-05-01", completed_on="2024-04-01")
    resp = staff.post("/admin/reuse/project/add/", form)
    assert resp.status_code == 200  # the form again, with the errors
    assert "before it starts" in resp.content.decode()
    assert resp.context["adminform"].form.errors["completed_on"]
    assert not Project.objects.filter(code="PL-ADMIN").exists()


def test_no_deletions_and_read_only_volumes(staff, ledger):
    assert staff.get(f"/admin/reuse/plant/{ledger['plant_e'].pk}/delete/").status_code == 403
    assert staff.get("/admin/reuse/monthlyplantvolume/add/").status_code == 403
    assert staff.get("/admin/reuse/monthlyplantvolume/").status_code == 200
    assert not MonthlyPlantVolume.objects.exists()
