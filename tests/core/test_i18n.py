"""Chinese first, English second (issue 13 item 2): the catalogues, the default language, API messages
following Accept-Language and the language cookie, choice labels and field labels in both languages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.utils import translation
from django.utils.functional import Promise
from rest_framework.test import APIClient

from accounts.choices import Role
from patrols.choices import CaseStatus, PatrolMode
from places.choices import ChiefLevel
from quality.choices import WaterClass
from water.choices import AlertKind, Review

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("*/locale/*/LC_MESSAGES/django.po"))
CJK = re.compile(r"[\u4e00-\u9fff]")
# The project's own apps: the top-level packages that are installed Django apps.
PROJECT_APPS = sorted(c.name for c in apps.get_app_configs() if (ROOT / c.name / "apps.py").exists())
# The apps whose model and choice labels must go through gettext: every project app (a new app is checked
# from its first model on).
LABELLED_APPS = PROJECT_APPS
# Labels that are names in every language (a standard's number, a file format), so not translated.
UNTRANSLATED_LABELS = {
    "JSON",
    "Excel",
    "PDF",
    "SZY 206-2016",
    "SL/T 427-2021",
    "SL 651-2014",
    "SZY 206 / SL/T 427 (68H)",
    "SL 651-2014 (7E7E)",
    "EPSG:4326",
    "EPSG:4490",
    "GCJ-02",
    "pH (pH)",
}
# Django's xgettext keywords for Python (makemessages), so the check finds what makemessages finds.
XGETTEXT_KEYWORDS = [
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
]


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} (Debian package gettext) is missing: run scripts/system-deps.sh"
    return path


def test_every_project_app_with_messages_has_both_catalogues():
    assert len(CATALOGUES) >= 16
    for app in PROJECT_APPS:
        sources = [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
        if not any(re.search(r"\b(_|gettext\w*|pgettext\w*)\(", p.read_text(encoding="utf-8")) for p in sources):
            continue
        for lang in ("zh_Hans", "en"):
            po = ROOT / app / "locale" / lang / "LC_MESSAGES" / "django.po"
            assert po.exists(), f"{app} has messages but no {lang} catalogue: run `make messages`"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_compiles(po, tmp_path):
    result = subprocess.run(  # noqa: S603 - a fixed tool on a file of the repository
        [_tool("msgfmt"), "--check", "-o", str(tmp_path / "django.mo"), str(po)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("po", [p for p in CATALOGUES if p.parts[-3] == "zh_Hans"], ids=lambda p: p.parts[-5])
def test_chinese_catalogue_translates_every_message(po):
    catalogue = polib.pofile(str(po))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, f"{po}: write the Chinese for {untranslated}"
    assert not fuzzy, f"{po}: check the Chinese of {fuzzy} and remove the fuzzy flag"
    assert not catalogue.metadata_is_fuzzy


@pytest.mark.parametrize("app", PROJECT_APPS)
def test_catalogue_holds_every_message_of_the_code(app, tmp_path):
    """A msgid added in the code but never extracted (`make messages`) fails here, not in front of a user."""
    po_path = ROOT / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    sources = sorted(str(p) for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)
    pot = tmp_path / "code.pot"
    result = subprocess.run(  # noqa: S603 - a fixed tool on files of the repository
        [
            _tool("xgettext"),
            "--language=Python",
            "--from-code=UTF-8",
            "--force-po",
            "-o",
            str(pot),
            *(f"--keyword={k}" for k in XGETTEXT_KEYWORDS),
            *sources,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    in_code = {(e.msgctxt, e.msgid) for e in polib.pofile(str(pot)) if e.msgid}
    if not in_code:
        return
    assert po_path.exists(), f"{app} has messages but no catalogue: run `make messages`"
    in_catalogue = {(e.msgctxt, e.msgid) for e in polib.pofile(str(po_path)) if not e.obsolete}
    missing = sorted(m for c, m in in_code - in_catalogue)
    assert not missing, f"run `make messages` and translate in {po_path.relative_to(ROOT)}: {missing}"


def _setting(name: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "DJANGO_LANGUAGE_CODE"}
    environ.update({"DJANGO_SETTINGS_MODULE": "config.settings.test", **env})
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    return subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60)  # noqa: S603


def test_language_is_chinese_by_default_and_read_from_the_environment():
    assert _setting("LANGUAGE_CODE").stdout.strip() == "zh-hans"
    assert _setting("LANGUAGE_CODE", DJANGO_LANGUAGE_CODE="en").stdout.strip() == "en"
    refused = _setting("LANGUAGE_CODE", DJANGO_LANGUAGE_CODE="fr")
    assert refused.returncode != 0
    assert "DJANGO_LANGUAGE_CODE" in refused.stderr


def test_choice_labels_in_both_languages():
    with translation.override("zh-hans"):
        assert PatrolMode.FOOT.label == "步行"
        assert CaseStatus.CLOSED.label == "已销号"
        assert ChiefLevel.CITY.label == "市级"
        assert Review.ACCEPTED.label == "确认"
        assert AlertKind.PLAN_80.label == "用水达计划80%"
        assert WaterClass.WORSE_THAN_V.label == "劣Ⅴ类"
        assert dict(Role.choices)["operator"] == "取水户"
    with translation.override("en"):
        assert PatrolMode.FOOT.label == "on foot"
        assert CaseStatus.CLOSED.label == "closed"
        assert ChiefLevel.CITY.label == "city level"
        assert Review.ACCEPTED.label == "accepted"
        assert AlertKind.PLAN_80.label == "use at 80% of plan"
        assert WaterClass.WORSE_THAN_V.label == "worse than class V"


def test_the_label_check_covers_every_app_with_models():
    expected = [
        "core",
        "accounts",
        "places",
        "water",
        "patrols",
        "reuse",
        "quality",
        "reports",
        "ogc",
        "notify",
        "oversight",
        "console",
    ]
    assert set(expected) <= set(LABELLED_APPS)


def test_every_label_of_the_project_reads_chinese_under_zh_hans_and_never_mixes():
    """Each choice label and field label is one language at a time: Chinese under zh-hans, no Chinese
    under en. A new label without a translation, or a "中文 English" literal, fails here."""
    bad: list[str] = []
    for config in apps.get_app_configs():
        if config.name not in LABELLED_APPS:
            continue
        for model in config.get_models():
            labels = {"verbose_name": model._meta.verbose_name, "verbose_name_plural": model._meta.verbose_name_plural}
            for field in model._meta.get_fields():
                if field.auto_created or not hasattr(field, "verbose_name") or field.model is not model:
                    continue
                if field.name in ("pk", "id") and not isinstance(field.verbose_name, Promise):
                    continue
                labels[field.name] = field.verbose_name
                for value, label in getattr(field, "flatchoices", None) or []:
                    labels[f"{field.name}={value}"] = label
            for where, label in labels.items():
                with translation.override("en"):
                    en = str(label)
                with translation.override("zh-hans"):
                    zh = str(label)
                if en in UNTRANSLATED_LABELS:
                    continue
                if not isinstance(label, Promise) or CJK.search(en) or not CJK.search(zh):
                    bad.append(f"{model._meta.label}.{where}: en={en!r} zh={zh!r}")
    assert not bad, "\n".join(bad)


@pytest.mark.django_db
def test_api_error_is_chinese_by_default_and_english_on_request(make_user):
    make_user(Role.REVIEWER, username="rev")
    body = {"username": "rev", "password": "wrong"}
    zh = APIClient().post("/api/v1/auth/token/", body, format="json")
    en = APIClient(headers={"Accept-Language": "en"}).post("/api/v1/auth/token/", body, format="json")
    assert zh.status_code == en.status_code == 400
    assert zh.json()["error"]["code"] == en.json()["error"]["code"] == "invalid_credentials"
    assert zh.json()["error"]["fields"]["password"] == ["用户名或密码不正确，无法登录。"]
    assert en.json()["error"]["fields"]["password"] == ["Unable to log in with the given username and password."]
    assert zh["Content-Language"] == "zh-hans"
    assert en["Content-Language"] == "en"


@pytest.mark.django_db
def test_validation_summary_and_drf_messages_follow_the_language(users, client_for):
    zh = client_for(users["city_reviewer"], lang="zh-hans").get("/api/v1/places/reaches/", {"page_size": 0})
    en = client_for(users["city_reviewer"]).get("/api/v1/places/reaches/", {"page_size": 0})
    assert zh.status_code == en.status_code == 400
    assert list(zh.json()["error"]["fields"]) == list(en.json()["error"]["fields"]) == ["page_size"]
    assert zh.json()["error"]["message"] == "输入有误：page_size：不得小于 1。"
    assert en.json()["error"]["message"] == "Invalid input: page_size: Must be at least 1."
    # DRF's own messages come from DRF's catalogues.
    anonymous = client_for(None, lang=None).get("/api/v1/places/reaches/")
    assert anonymous.status_code == 401
    assert CJK.search(anonymous.json()["error"]["message"])
    assert client_for(None).get("/api/v1/places/reaches/").json()["error"]["message"].isascii()


@pytest.mark.django_db
def test_set_language_switches_the_language_of_later_answers(make_user):
    make_user(Role.REVIEWER, username="rev")
    client = APIClient()
    body = {"username": "rev", "password": "wrong"}
    before = client.post("/api/v1/auth/token/", body, format="json").json()["error"]["message"]
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, format="multipart")
    assert switched.status_code == 302
    assert client.cookies["django_language"].value == "en"
    after = client.post("/api/v1/auth/token/", body, format="json").json()["error"]["message"]
    assert CJK.search(before)
    assert after == "Unable to log in with the given username and password."
    # And back, even against the browser's Accept-Language.
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, format="multipart")
    again = client.post("/api/v1/auth/token/", body, format="json", headers={"Accept-Language": "en"})
    assert again.json()["error"]["message"] == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "chinese"),
    [("zh-CN,zh;q=0.9,en;q=0.8", True), ("zh-TW", True), ("fr-FR,fr;q=0.9", True), ("en-US,en;q=0.9", False)],
)
def test_browsers_accept_language_is_honoured_and_anything_else_is_chinese(make_user, accept, chinese):
    make_user(Role.REVIEWER, username="rev")
    body = {"username": "rev", "password": "wrong"}
    resp = APIClient(headers={"Accept-Language": accept}).post("/api/v1/auth/token/", body, format="json")
    assert bool(CJK.search(resp.json()["error"]["message"])) is chinese


def test_water_quality_descriptions_and_item_names_in_both_languages():
    from decimal import Decimal

    from quality.gb3838 import ITEMS_BY_CODE, classify

    meets, worse = classify({"w01018": Decimal("35")}), classify({"w01018": Decimal("41")})
    with translation.override("zh-hans"):
        assert (meets.description, worse.description) == ("符合Ⅴ类", "劣于Ⅴ类")
        assert ITEMS_BY_CODE["w21003"].label == "氨氮"
    with translation.override("en"):
        assert (meets.description, worse.description) == ("meets class V", "does not meet class V")
        assert ITEMS_BY_CODE["w21003"].label == "ammonia nitrogen"
