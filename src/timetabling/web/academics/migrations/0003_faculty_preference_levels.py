"""A faculty member's slots get levels (UniTime's scale): ``unavailable`` becomes ``prohibited`` and
``preferred`` becomes ``preferred`` (a weight above 1: ``strongly_preferred``), all in ``preferences``."""

from django.db import migrations, models


def _cells(stored):
    return [p for p in stored if isinstance(p, list | tuple) and len(p) >= 2] if isinstance(stored, list) else []


def to_levels(apps, schema_editor):
    Faculty = apps.get_model("academics", "Faculty")
    for f in Faculty.objects.all().only("pk", "unavailable", "preferred").iterator(chunk_size=500):
        levels = {}
        for p in _cells(f.preferred):
            weight = p[2] if len(p) > 2 and isinstance(p[2], int) else 1
            levels[p[0], p[1]] = "strongly_preferred" if weight > 1 else "preferred"
        for p in _cells(f.unavailable):
            levels[p[0], p[1]] = "prohibited"
        if levels:
            f.preferences = [[d, p, level] for (d, p), level in sorted(levels.items())]
            f.save(update_fields=["preferences"])


def to_lists(apps, schema_editor):
    Faculty = apps.get_model("academics", "Faculty")
    for f in Faculty.objects.all().only("pk", "preferences").iterator(chunk_size=500):
        cells = [p for p in f.preferences if isinstance(p, list | tuple) and len(p) >= 3]
        f.unavailable = [[p[0], p[1]] for p in cells if p[2] == "prohibited"]
        f.preferred = [[p[0], p[1], 2 if p[2] == "strongly_preferred" else 1] for p in cells
                       if p[2] in ("preferred", "strongly_preferred")]
        f.save(update_fields=["unavailable", "preferred"])


class Migration(migrations.Migration):

    dependencies = [
        ("academics", "0002_terms_time_zone_change_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="faculty",
            name="preferences",
            field=models.JSONField(
                blank=True, default=list,
                help_text="[[day, period, level], ...] for every slot that is not neutral; level: one of "
                          "PREFERENCE_LEVELS"),
        ),
        migrations.RunPython(to_levels, to_lists),
        migrations.RemoveField(model_name="faculty", name="preferred"),
        migrations.RemoveField(model_name="faculty", name="unavailable"),
    ]
