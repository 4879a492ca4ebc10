"""The real client: GDAL's OAPIF driver (ogrinfo) against a live server, with a token header."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest

from accounts.services import token_issue

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin (ogrinfo) is not installed")


def _ogrinfo(live_server: Any, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        "ogrinfo",
        "-ro",
        f"OAPIF:{live_server.url}/ogc/",
        *args,
        "--config",
        "GDAL_HTTP_HEADERS",
        f"Authorization: Token {token}",
        "--config",
        "GDAL_HTTP_TIMEOUT",
        "30",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_ogrinfo_reads_collections_features_and_pushes_filters(transactional_db, live_server, users, layers):
    _, token = token_issue(user=users["city_reviewer"])

    listing = _ogrinfo(live_server, token, "-so")
    for layer in ("divisions", "rivers", "reaches", "lakes", "intakes", "pipelines", "cases"):
        assert re.search(rf"^\d+: {layer}\b", listing.stdout, re.M), listing.stdout

    summary = _ogrinfo(live_server, token, "-so", "reaches")
    assert "Feature Count: 2" in summary.stdout
    assert re.search(r"^code: String", summary.stdout, re.M)
    assert "Extent: (87.450000, 43.650000) - (87.750000, 43.950000)" in summary.stdout

    # Every feature, one per page: GDAL follows the next links.
    full = _ogrinfo(live_server, token, "-oo", "PAGE_SIZE=1", "reaches")
    assert full.stdout.count("OGRFeature(reaches)") == 2
    assert sorted(re.findall(r"^  code \(String\) = (\S+)", full.stdout, re.M)) == ["HL-01-01", "HL-01-02"]

    # The attribute filter is declared in /ogc/api, so GDAL sends it to the server.
    filtered = _ogrinfo(live_server, token, "--debug", "on", "-where", "code = 'HL-01-02'", "reaches")
    assert filtered.stdout.count("OGRFeature(reaches)") == 1
    assert "code=HL-01-02" in filtered.stderr

    # A chief of Tianshan sees only that district's reach: the token's scope applies.
    _, chief_token = token_issue(user=users["chief_650102"])
    chief = _ogrinfo(live_server, chief_token, "reaches")
    assert re.findall(r"^  code \(String\) = (\S+)", chief.stdout, re.M) == ["HL-01-02"]


def test_ogrinfo_reads_cases_by_string_id(transactional_db, live_server, users, layers):
    _, token = token_issue(user=users["city_reviewer"])
    everything = _ogrinfo(live_server, token, "cases")
    assert everything.stdout.count("OGRFeature(cases)") == 3
    assert len(re.findall(r"^  category \(String\) = dumping$", everything.stdout, re.M)) == 2
    # `id = '…'` on a string id: GDAL fetches …/items/{id}, the items link with /{id} appended.
    case = layers["cases"][1]
    one = _ogrinfo(live_server, token, "--debug", "on", "-where", f"id = '{case.pk}'", "cases")
    assert f"/ogc/collections/cases/items/{case.pk}" in one.stderr
    assert one.stdout.count("OGRFeature(cases)") == 1
    assert re.search(r"^  category \(String\) = occupation$", one.stdout, re.M)
