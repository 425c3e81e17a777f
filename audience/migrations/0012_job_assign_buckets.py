"""A job may assign A/B buckets: each known account its own bucket tag (audience.buckets)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audience', '0011_apps'),
    ]

    operations = [
        migrations.AlterField(
            model_name='job',
            name='action',
            field=models.CharField(choices=[('add_tags', 'Add tags'), ('remove_tags', 'Remove tags'), ('remove_all_tags', 'Remove all tags'), ('set_attrs', 'Set attributes'), ('remove_attrs', 'Remove attributes'), ('assign_buckets', 'Assign A/B buckets')], max_length=20, verbose_name='action'),
        ),
    ]
