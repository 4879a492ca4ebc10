"""The admin saves sections through the service (audited, water body derived) and deletes samples
through it; the import command is the API's import with the whole city in scope."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.choices import Role
from core.models import AuditLog
from quality.models import Sample, Section
from tests.factories import TEST_PASSWORD
from tests.quality.conftest import beijing
from tests.quality.test_api_samples import CSV

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user):
    user = make_user(Role.ADMIN, "", username="site_admin", is_staff=True, is_superuser=True)
    client = Client(headers={"Accept-Language": "en"})  # the suite reads English (tests/conftest.py)
    assert client.login(username="site_admin", password=TEST_PASSWORD)
    return client, user


def test_admin_pages_render(admin_client, sections, record):
    client, _ = admin_client
    sample = record(sections["river_e"], beijing(2024, 1), {"COD": 10, "TP": "<0.01"})
    section_url = f"/admin/quality/section/{sections['river_e'].pk}/change/"
    urls = [
        "/admin/quality/section/",
        "/admin/quality/section/add/",
        section_url,
        "/admin/quality/sample/",
        f"/admin/quality/sample/{sample.pk}/change/",
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_admin_add_goes_through_the_service(admin_client, geography):
    client, user = admin_client
    resp = client.post(
        "/admin/quality/section/add/",
        {
            "code": "QS-ADMIN",
            "name": "后台断面",
            "category": "lake",
            "lake": geography["lake_w"].pk,
            "division": geography["saybagh"].pk,
            "location": '{"type": "Point", "coordinates": [87.43, 43.71]}',
            "target_class": 2,
            "counts_in_statistics": "on",
            "note": "",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    section = Section.objects.get(code="QS-ADMIN")
    assert section.water_body == "lake"
    log = AuditLog.objects.get(entity="quality.section", entity_id=str(section.pk))
    assert (log.actor, log.reason) == (user, "admin")


def test_admin_delete_is_audited(admin_client, sections, record):
    client, _ = admin_client
    sample = record(sections["river_e"], beijing(2024, 1), {"COD": 10})
    resp = client.post(f"/admin/quality/sample/{sample.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302
    assert not Sample.objects.exists()
    assert AuditLog.objects.filter(entity="quality.sample", action="delete", reason="admin").count() == 1


def test_import_command(tmp_path, sections, capsys):
    path = tmp_path / "lab.csv"
    path.write_text(CSV, encoding="utf-8")
    call_command("import_quality_samples", str(path), "--dry-run")
    assert not Sample.objects.exists()
    call_command("import_quality_samples", str(path))
    assert Sample.objects.count() == 2
    assert "2 samples with 5 results" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV + "QS-E-R,2024-03-05T10:00:00+08:00,manual,pH,15,,,,\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"rows\[5\]\.value: .*\(line 7\)"):
        call_command("import_quality_samples", str(bad))
    assert Sample.objects.count() == 2
