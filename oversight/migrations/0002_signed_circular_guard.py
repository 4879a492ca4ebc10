"""A signed circular never changes: a trigger refuses any UPDATE or DELETE of a row whose status is
signed, whatever the code path (admin, shell, a bug), as for report snapshots (reports 0002). The
services check first and answer a clear 409; this is the database's own guarantee."""

from typing import Any

from django.db import migrations

MESSAGE = "circular is signed and cannot change"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION oversight_circular_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER oversight_circular_frozen BEFORE UPDATE OR DELETE ON oversight_circular
    FOR EACH ROW EXECUTE FUNCTION oversight_circular_frozen();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS oversight_circular_frozen ON oversight_circular;
DROP FUNCTION IF EXISTS oversight_circular_frozen();
"""
SQLITE_UP = [
    f"""CREATE TRIGGER oversight_circular_frozen_update BEFORE UPDATE ON oversight_circular
    FOR EACH ROW WHEN OLD.status = 'signed' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER oversight_circular_frozen_delete BEFORE DELETE ON oversight_circular
    FOR EACH ROW WHEN OLD.status = 'signed' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS oversight_circular_frozen_update;",
    "DROP TRIGGER IF EXISTS oversight_circular_frozen_delete;",
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
    dependencies = [("oversight", "0001_ledger")]

    operations = [migrations.RunPython(up, down)]
