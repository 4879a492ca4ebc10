"""The OpenAPI examples of the patrol writes work when tried (Swagger's "Try it out" used to make up a
reach 9223372036854775807 and coordinates [null]): the documented example, with the caller's own reach,
is accepted as it stands."""

from __future__ import annotations

import uuid

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(out))
    return yaml.safe_load(out.read_text())


def _example(schema, path: str) -> dict:
    content = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    return next(iter(content["examples"].values()))["value"]


def test_track_positions_are_typed_numbers(schema):
    track = schema["components"]["schemas"]["PatrolSubmitRequest"]["properties"]["track"]
    position = track["properties"]["coordinates"]["items"]
    assert position["items"] == {"type": "number"}
    assert (position["minItems"], position["maxItems"]) == (2, 3)


@pytest.mark.parametrize("path", ["/api/v1/patrols/", "/api/v1/patrols/start/"])
def test_the_documented_example_is_accepted(schema, client_for, chiefs, geography, path):
    body = _example(schema, path)
    assert body["reach"] == 1
    body = {**body, "id": str(uuid.uuid4()), "reach": geography["reach_e"].pk}
    resp = client_for(chiefs["township"]).post(path, body, format="json")
    assert resp.status_code == 201, resp.content
