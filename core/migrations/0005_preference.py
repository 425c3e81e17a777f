"""Preferences move from campaigns to core (they are the person's, not a campaign's): the new
table takes the old one's rows, and campaigns 0018 drops the old table after this ran."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_from_campaigns(apps, schema_editor):
    connection = schema_editor.connection
    if "campaigns_preference" not in connection.introspection.table_names():
        return  # a new database: campaigns makes its table later, empty, and drops it
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO core_preference (user_id, language, timezone) "
                       "SELECT user_id, language, timezone FROM campaigns_preference")


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_old_audit_rows_in_todays_shape"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Preference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("language", models.CharField(choices=[("en", "English"), ("zh-hans", "简体中文")],
                                              default="en", max_length=16)),
                ("timezone", models.CharField(default="Asia/Shanghai", max_length=64)),
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                              related_name="preference",
                                              to=settings.AUTH_USER_MODEL)),
            ],
            options={"verbose_name": "preference", "verbose_name_plural": "preferences"},
        ),
        migrations.RunPython(copy_from_campaigns, migrations.RunPython.noop),
    ]
