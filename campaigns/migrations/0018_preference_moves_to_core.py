from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0017_content_by"),
        ("core", "0005_preference"),  # which copied the rows first
    ]

    operations = [
        migrations.DeleteModel(name="Preference"),
    ]
