"""The audience belongs to an app: every attribute name, segment, job and mirror row there is
goes to the default app (the one the TIM_* settings describe, made by core/0006_apps.py);
names, known accounts and mirror rows are unique per app."""

import core.chat_apps
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audience', '0010_invalid_lines_store_rules'),
        ('core', '0006_apps'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='accountattr',
            name='one_attr_row',
        ),
        migrations.RemoveConstraint(
            model_name='accounttag',
            name='one_tag_row',
        ),
        migrations.RemoveIndex(
            model_name='accountattr',
            name='audience_ac_name_59d26e_idx',
        ),
        migrations.RemoveIndex(
            model_name='accounttag',
            name='audience_ac_tag_997a10_idx',
        ),
        migrations.AddField(
            model_name='accountattr',
            name='app',
            field=models.ForeignKey(db_index=False, default=core.chat_apps.default_app_id, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.app', verbose_name='app'),
        ),
        migrations.AddField(
            model_name='accounttag',
            name='app',
            field=models.ForeignKey(db_index=False, default=core.chat_apps.default_app_id, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.app', verbose_name='app'),
        ),
        migrations.AddField(
            model_name='attributename',
            name='app',
            field=models.ForeignKey(db_index=False, default=core.chat_apps.default_app_id, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.app', verbose_name='app'),
        ),
        migrations.AddField(
            model_name='job',
            name='app',
            field=models.ForeignKey(db_index=False, default=core.chat_apps.default_app_id, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.app', verbose_name='app'),
        ),
        migrations.AddField(
            model_name='knownaccount',
            name='app',
            field=models.ForeignKey(db_index=False, default=core.chat_apps.default_app_id, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.app', verbose_name='app'),
        ),
        migrations.AddField(
            model_name='segment',
            name='app',
            field=models.ForeignKey(db_index=False, default=core.chat_apps.default_app_id, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.app', verbose_name='app'),
        ),
        migrations.AlterField(
            model_name='attributename',
            name='index',
            field=models.PositiveSmallIntegerField(verbose_name='index'),
        ),
        migrations.AlterField(
            model_name='attributename',
            name='name',
            field=models.CharField(max_length=50, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='knownaccount',
            name='account',
            field=models.CharField(max_length=64, verbose_name='account'),
        ),
        migrations.AddIndex(
            model_name='accountattr',
            index=models.Index(fields=['app', 'name', 'value'], name='audience_ac_app_id_6402eb_idx'),
        ),
        migrations.AddIndex(
            model_name='accounttag',
            index=models.Index(fields=['app', 'tag', 'account'], name='audience_ac_app_id_8ae2eb_idx'),
        ),
        migrations.AddIndex(
            model_name='job',
            index=models.Index(fields=['app', '-created_at'], name='audience_jo_app_id_cd2db7_idx'),
        ),
        migrations.AddIndex(
            model_name='segment',
            index=models.Index(fields=['app', '-created_at'], name='audience_se_app_id_e24236_idx'),
        ),
        migrations.AddConstraint(
            model_name='accountattr',
            constraint=models.UniqueConstraint(fields=('app', 'account', 'name'), name='one_attr_row'),
        ),
        migrations.AddConstraint(
            model_name='accounttag',
            constraint=models.UniqueConstraint(fields=('app', 'account', 'tag'), name='one_tag_row'),
        ),
        migrations.AddConstraint(
            model_name='attributename',
            constraint=models.UniqueConstraint(fields=('app', 'index'), name='one_attribute_name_per_index'),
        ),
        migrations.AddConstraint(
            model_name='attributename',
            constraint=models.UniqueConstraint(fields=('app', 'name'), name='attribute_names_differ'),
        ),
        migrations.AddConstraint(
            model_name='knownaccount',
            constraint=models.UniqueConstraint(fields=('app', 'account'), name='one_known_account_per_app'),
        ),
    ]
