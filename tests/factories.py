"""Factories for tests. Geometry helpers make small valid shapes near Urumqi."""

from __future__ import annotations

import factory
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Polygon

from accounts.choices import Role
from accounts.models import User
from core.geo import WGS84_SRID

TEST_PASSWORD = "pw-Test-2026"


def box(x1: float, y1: float, x2: float, y2: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x1, y1, x2, y2)), srid=WGS84_SRID)


def line(*points: tuple[float, float]) -> MultiLineString:
    return MultiLineString(LineString(list(points)), srid=WGS84_SRID)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.CHIEF
    jurisdiction = "650100"

    @classmethod
    def _create(cls, model_class: type[User], *args: object, **kwargs: object) -> User:
        password = str(kwargs.pop("password", TEST_PASSWORD))
        user = model_class(*args, **kwargs)
        user.set_password(password)
        user.save()
        return user
