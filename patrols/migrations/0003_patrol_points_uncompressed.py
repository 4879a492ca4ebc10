"""PostgreSQL: store a patrol's per-point columns without TOAST compression (STORAGE EXTERNAL).

Coordinates and millisecond offsets hardly compress (pglz saves a few per cent on them), but compressing
them cost about 3 ms of a patrol insert's 7 ms on the benchmark machine (benchmarks/patrols_post.py).
Out-of-line storage stays; only compression is skipped. Nothing to do on SpatiaLite.
"""

from django.db import migrations

COLUMNS = ("raw_track", "raw_times_ms", "dropped_points")


def _storage(mode: str):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = apps.get_model("patrols", "Patrol")._meta.db_table
        for column in COLUMNS:
            schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET STORAGE {mode}')

    return apply


class Migration(migrations.Migration):
    dependencies = [("patrols", "0002_seed_rules")]

    operations = [migrations.RunPython(_storage("EXTERNAL"), _storage("MAIN"))]
