"""A signed-off snapshot never changes: a trigger refuses any UPDATE or DELETE of a row whose status
is signed_off, whatever the code path (admin, shell, a bug). The services check first and give a
clear 409; this is the database's own guarantee."""

from typing import Any

from django.db import migrations

MESSAGE = "report snapshot is signed off and cannot change"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION reports_snapshot_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed_off' THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reports_snapshot_frozen BEFORE UPDATE OR DELETE ON reports_reportsnapshot
    FOR EACH ROW EXECUTE FUNCTION reports_snapshot_frozen();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS reports_snapshot_frozen ON reports_reportsnapshot;
DROP FUNCTION IF EXISTS reports_snapshot_frozen();
"""
SQLITE_UP = [
    f"""CREATE TRIGGER reports_snapshot_frozen_update BEFORE UPDATE ON reports_reportsnapshot
    FOR EACH ROW WHEN OLD.status = 'signed_off' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER reports_snapshot_frozen_delete BEFORE DELETE ON reports_reportsnapshot
    FOR EACH ROW WHEN OLD.status = 'signed_off' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS reports_snapshot_frozen_update;",
    "DROP TRIGGER IF EXISTS reports_snapshot_frozen_delete;",
]


def up(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    else:
        for sql in SQLITE_UP:
            schema_editor.execute(sql)


def down(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    else:
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_report_snapshots")]

    operations = [migrations.RunPython(up, down)]
