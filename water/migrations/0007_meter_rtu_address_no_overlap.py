"""No two meters share an RTU address in one protocol family over overlapping installation periods
(issue 14), in the database: PostGIS an exclusion constraint, SpatiaLite triggers (SQLite has no
exclusion constraints). Periods are half-open [installed_at, removed_at), so a replacement (old meter
removed at the instant the new one is installed) does not overlap. The address is compared as the
gateway compares it (separators ' -:|' dropped, upper case); SL/T 427 shares SZY 206's address space."""

from django.db import migrations

FAMILY = "(CASE protocol WHEN 'sl427' THEN 'szy206' ELSE protocol END)"
ADDRESS = "upper(translate(rtu_address, ' -:|', ''))"
SQLITE_ADDRESS = "upper(replace(replace(replace(replace({t}.rtu_address, ' ', ''), '-', ''), ':', ''), '|', ''))"
SQLITE_FAMILY = "(CASE {t}.protocol WHEN 'sl427' THEN 'szy206' ELSE {t}.protocol END)"

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE water_meter ADD CONSTRAINT water_meter_rtu_address_no_overlap EXCLUDE USING gist (
        {FAMILY} WITH =, {ADDRESS} WITH =, tstzrange(installed_at, removed_at, '[)') WITH &&
    ) WHERE (protocol IN ('szy206', 'sl427', 'sl651') AND {ADDRESS} <> '')""",
]
PG_BACKWARD = ["ALTER TABLE water_meter DROP CONSTRAINT IF EXISTS water_meter_rtu_address_no_overlap"]

# Built from the constants above only (no input): S608 does not apply.
_SQLITE_WHEN = f"""NEW.protocol IN ('szy206', 'sl427', 'sl651') AND {SQLITE_ADDRESS.format(t="NEW")} <> ''
    AND EXISTS (
        SELECT 1 FROM water_meter m
        WHERE m.id <> NEW.id
          AND m.protocol IN ('szy206', 'sl427', 'sl651')
          AND {SQLITE_FAMILY.format(t="m")} = {SQLITE_FAMILY.format(t="NEW")}
          AND {SQLITE_ADDRESS.format(t="m")} = {SQLITE_ADDRESS.format(t="NEW")}
          AND (m.removed_at IS NULL OR julianday(m.removed_at) > julianday(NEW.installed_at))
          AND (NEW.removed_at IS NULL OR julianday(NEW.removed_at) > julianday(m.installed_at))
    )"""  # noqa: S608
SQLITE_FORWARD = [
    f"""CREATE TRIGGER water_meter_rtu_address_no_overlap_insert AFTER INSERT ON water_meter
    WHEN {_SQLITE_WHEN}
    BEGIN SELECT RAISE(ABORT, 'water_meter_rtu_address_no_overlap'); END""",
    f"""CREATE TRIGGER water_meter_rtu_address_no_overlap_update
    AFTER UPDATE OF rtu_address, protocol, installed_at, removed_at ON water_meter
    WHEN {_SQLITE_WHEN}
    BEGIN SELECT RAISE(ABORT, 'water_meter_rtu_address_no_overlap'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS water_meter_rtu_address_no_overlap_insert",
    "DROP TRIGGER IF EXISTS water_meter_rtu_address_no_overlap_update",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("water", "0006_labels_gettext")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
