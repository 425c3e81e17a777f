from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    """Admins manage users and their roles in Django admin."""
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admins, _ = Group.objects.get_or_create(name="Admins")
    admins.permissions.add(*Permission.objects.filter(
        content_type__app_label="auth", content_type__model__in=["user", "group"],
        codename__regex=r"^(add|change|view)_"))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0003_preference_and_status_index"),
                    ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
