"""Issue 14: an idempotent replay returns the bytes first sent (0.25 stays 0.25, not "0.250")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from core.api.idempotency import IdempotencyMixin

pytestmark = pytest.mark.django_db


class _View(IdempotencyMixin, APIView):
    calls = 0

    def post(self, request):
        type(self).calls += 1
        return Response({"share": Decimal("0.250"), "kg": Decimal("12.5"), "name": "河"}, status=201)


def test_replay_returns_the_same_bytes(users):
    factory, view = APIRequestFactory(), _View.as_view()

    def send():
        request = factory.post("/x/", {"a": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        force_authenticate(request, user=users["admin"])
        response = view(request)
        response.render() if hasattr(response, "render") else None
        return response

    first, again = send(), send()
    assert _View.calls == 1
    assert again["Idempotent-Replayed"] == "true"
    assert again.status_code == first.status_code == 201
    assert again.content == first.content
    assert b'"share":0.25' in again.content
    assert again["Content-Type"] == first["Content-Type"]
