from django.db import migrations


def create_audience_managers(apps, schema_editor):
    """Audience managers prepare audiences on the dashboard's Audiences page (core/roles.py)."""
    apps.get_model("auth", "Group").objects.get_or_create(name="Audience managers")


class Migration(migrations.Migration):
    dependencies = [("audience", "0007_retries_have_an_index_of_their_own"),
                    ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_audience_managers, migrations.RunPython.noop)]
