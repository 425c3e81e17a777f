from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    """Admins see login lockouts in Django admin and clear them (deleting the attempt)."""
    config = apps.get_app_config("axes")
    config.models_module = True
    create_permissions(config, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admins, _ = Group.objects.get_or_create(name="Admins")
    admins.permissions.add(*Permission.objects.filter(
        content_type__app_label="axes",
        codename__in=["view_accessattempt", "delete_accessattempt", "view_accesslog",
                      "view_accessfailurelog"]))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_drop_push_columns_and_old_trail"),
                    ("axes", "0010_accessattemptexpiration")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
