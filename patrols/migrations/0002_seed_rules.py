"""Seed the rule tables with the documented defaults of domain.md §4.2 (Akqi County, Xinjiang, 2022
[V: Akqi-2022]), valid everywhere (empty jurisdiction) until a bureau edits them in the admin:

* validity: at least 30 minutes for county (district), township and village chiefs; at least 2 km for
  township and village chiefs. Province and city chiefs have no minimum in that source, so none here;
* frequency: township ≥ 1 a month and village ≥ 1 a week from March to December; county (district)
  ≥ 1 a quarter all year. The source sets nothing for city and province chiefs (Henan's ≥ 1 a
  half-year and ≥ 1 a year are another province's rules), so they are not seeded.

Reversible: the reverse removes exactly these rows, only while they are unchanged.
"""

from django.db import migrations

SOURCE = "domain.md §4.2, Akqi County 2022"

VALIDITY = [
    # level, min duration (s), min length (m)
    ("district", 30 * 60, 0),
    ("township", 30 * 60, 2000),
    ("village", 30 * 60, 2000),
]
FREQUENCY = [
    # level, period, count, first month, last month
    ("district", "quarter", 1, 1, 12),
    ("township", "month", 1, 3, 12),
    ("village", "week", 1, 3, 12),
]


def seed(apps, schema_editor):
    Validity = apps.get_model("patrols", "PatrolValidityRule")
    Frequency = apps.get_model("patrols", "PatrolFrequencyRule")
    for level, duration, length in VALIDITY:
        Validity.objects.get_or_create(
            jurisdiction="", level=level,
            defaults={"min_duration_s": duration, "min_length_m": length, "source": SOURCE},
        )  # fmt: skip
    for level, period, count, first, last in FREQUENCY:
        Frequency.objects.get_or_create(
            jurisdiction="", level=level, season_start_month=first,
            defaults={"period": period, "required_count": count, "season_end_month": last, "source": SOURCE},
        )  # fmt: skip


def unseed(apps, schema_editor):
    Validity = apps.get_model("patrols", "PatrolValidityRule")
    Frequency = apps.get_model("patrols", "PatrolFrequencyRule")
    for level, duration, length in VALIDITY:
        Validity.objects.filter(
            jurisdiction="", level=level, min_duration_s=duration, min_length_m=length, source=SOURCE
        ).delete()
    for level, period, count, first, last in FREQUENCY:
        Frequency.objects.filter(
            jurisdiction="", level=level, period=period, required_count=count, season_start_month=first,
            season_end_month=last, source=SOURCE,
        ).delete()  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("patrols", "0001_patrols_cases_litter_rules")]

    operations = [migrations.RunPython(seed, unseed)]
