"""Patrol.raw_times_ms: from a jsonb/JSON list to packed little-endian int64 (MillisecondsField).

A 2,000-point patrol's times were 31 kB of jsonb that PostgreSQL parsed number by number on every
insert (half a millisecond of its CPU per patrol post, benchmarks/patrols_post.py); packed they are
16 kB it copies. The Python value is still a list of ints. Existing rows are converted; on PostgreSQL
the new column is stored without TOAST compression, as the old one was (0003).
"""

import numpy as np
from django.db import migrations

import patrols.models


def _pack(apps, schema_editor):
    Patrol = apps.get_model("patrols", "Patrol")
    rows = Patrol.objects.using(schema_editor.connection.alias).exclude(raw_times_ms=None)
    for pk, times in rows.values_list("pk", "raw_times_ms").iterator(chunk_size=500):
        Patrol.objects.using(schema_editor.connection.alias).filter(pk=pk).update(raw_times_packed=list(times))


def _unpack(apps, schema_editor):
    Patrol = apps.get_model("patrols", "Patrol")
    rows = Patrol.objects.using(schema_editor.connection.alias).exclude(raw_times_packed=None)
    for pk, times in rows.values_list("pk", "raw_times_packed").iterator(chunk_size=500):
        Patrol.objects.using(schema_editor.connection.alias).filter(pk=pk).update(
            raw_times_ms=np.asarray(times, dtype=np.int64).tolist()
        )


def _uncompressed(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("patrols", "Patrol")._meta.db_table
    schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "raw_times_ms" SET STORAGE EXTERNAL')


class Migration(migrations.Migration):
    dependencies = [("patrols", "0003_patrol_points_uncompressed")]

    operations = [
        migrations.AddField(
            model_name="patrol",
            name="raw_times_packed",
            field=patrols.models.MillisecondsField(blank=True, null=True),
        ),
        migrations.RunPython(_pack, _unpack),
        migrations.RemoveField(model_name="patrol", name="raw_times_ms"),
        migrations.RenameField(model_name="patrol", old_name="raw_times_packed", new_name="raw_times_ms"),
        migrations.AlterField(
            model_name="patrol",
            name="raw_times_ms",
            field=patrols.models.MillisecondsField(
                blank=True,
                help_text="milliseconds after started_at, one per raw point",
                null=True,
                verbose_name="原始时间 raw times",
            ),
        ),
        migrations.RunPython(_uncompressed, migrations.RunPython.noop),
    ]
