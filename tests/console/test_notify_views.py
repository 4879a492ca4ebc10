"""The console's bell and notification inbox through Django's test client: one's own inbox only,
newest first and paged, mark-read and mark-all-read (POST with CSRF) through notify's services,
links to the object's console page. Runs on SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from notify import services
from notify.models import Notification

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.UTC)


def tell(user: Any, n: int = 1, *, type_: str = "case_overdue", subject: str = "patrols.case", start: int = 0) -> None:
    """`n` events for `user`, one minute apart (the later, the newer)."""
    with transaction.atomic():
        for i in range(start, start + n):
            sid = uuid.UUID(int=i + 1)
            services.event_raise(
                type=type_,
                division_code="650102",
                subject_type=subject,
                subject_id=sid,
                people=[user.pk],
                figures={"case": f"C{i:03d}", "reach": "天山段", "deadline": "2024-05-20", "unit": "天山区水务局"},
                link=f"/api/v1/patrols/cases/{sid}/",
                at=T0 + dt.timedelta(minutes=i),
            )


def unread(user: Any) -> int:
    return Notification.objects.filter(recipient=user, channel="inbox", read_at__isnull=True).count()


def ids_on(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<li class="note[^"]*" data-id="(\d+)"', html)]


def test_the_bell_shows_the_unread_count_and_the_inbox_is_ones_own(users, web, geography):
    me, other = users["city_reviewer"], users["chief_650102"]
    tell(me, 3)
    tell(other, 2, start=10)
    resp = web(me).get("/notifications/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert re.search(r'data-testid="bell-count">3<', html)
    assert "通知" in html  # Chinese first: the menu item and the title
    mine = list(Notification.objects.filter(recipient=me).order_by("-created_at", "-id").values_list("pk", flat=True))
    assert ids_on(html) == mine  # newest first; the other user's rows are not there
    assert "C002" in html
    assert "天山区水务局" in html
    # The subject has a console page: the row links to it, not to the API.
    assert f'href="/river/cases/{uuid.UUID(int=3)}/"' in html
    # Nothing unread: no count on the bell.
    assert 'data-testid="bell-count"' not in web(users["operator"]).get("/notifications/").content.decode()


def test_the_inbox_is_paged_newest_first(users, web, geography):
    me = users["city_reviewer"]
    tell(me, 25)
    client = web(me)
    first = ids_on(client.get("/notifications/").content.decode())
    second = ids_on(client.get("/notifications/?page=2").content.decode())
    every = list(Notification.objects.filter(recipient=me).order_by("-created_at", "-id").values_list("pk", flat=True))
    assert (len(first), len(second)) == (20, 5)
    assert first + second == every
    # Only unread, after one is read.
    client.post(f"/notifications/{every[0]}/read/")
    assert ids_on(client.get("/notifications/?unread=1").content.decode()) == every[1:21]


def test_mark_read_and_mark_all_read(users, web, geography):
    me, other = users["city_reviewer"], users["chief_650102"]
    tell(me, 3)
    tell(other, 1, start=10)
    client = web(me)
    newest = Notification.objects.filter(recipient=me).order_by("-created_at").first()
    resp = client.post(f"/notifications/{newest.pk}/read/", {"next": "/notifications/?page=1"})
    assert resp.status_code == 302
    assert resp.url == "/notifications/?page=1"
    assert unread(me) == 2
    # Someone else's row: nothing changes.
    theirs = Notification.objects.get(recipient=other)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 302
    assert unread(other) == 1
    # A foreign `next` is not followed.
    resp = client.post("/notifications/read-all/", {"next": "https://elsewhere.invalid/"})
    assert resp.url == "/notifications/"
    assert unread(me) == 0
    assert unread(other) == 1
    assert not re.search(r'data-testid="bell-count"', client.get("/notifications/").content.decode())


def test_reads_need_post_with_csrf_and_a_signed_in_user(users, geography):
    me = users["city_reviewer"]
    tell(me, 1)
    row = Notification.objects.get(recipient=me)
    anon = Client()
    assert anon.get("/notifications/").status_code == 302
    assert anon.post("/notifications/read-all/").status_code == 302
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    strict.force_login(me)
    assert strict.get(f"/notifications/{row.pk}/read/").status_code == 405
    assert strict.post(f"/notifications/{row.pk}/read/").status_code == 403  # no CSRF token
    assert strict.post("/notifications/read-all/").status_code == 403
    assert unread(me) == 1
    page = strict.get("/notifications/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert strict.post("/notifications/read-all/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert unread(me) == 0


def test_a_member_unit_has_an_inbox_too(make_user, web, geography):
    from accounts.choices import Role

    unit = make_user(Role.UNIT, "", username="unit_bell")
    tell(unit, 1, type_="supervision_order_issued", subject="oversight.supervisionorder")
    html = web(unit).get("/notifications/").content.decode()
    assert len(ids_on(html)) == 1
    assert "督办" in html  # the text in Chinese (NOTIFY_LANGUAGE)
