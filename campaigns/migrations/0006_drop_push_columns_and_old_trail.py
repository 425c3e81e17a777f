from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0005_push_value_and_reason_codes")]
    operations = [
        migrations.RemoveField("campaign", "msg_body"),
        migrations.RemoveField("campaign", "condition"),
        migrations.RemoveField("campaign", "offline_push_info"),
        migrations.RemoveField("campaign", "msg_life_time"),
        migrations.RemoveField("campaign", "from_account"),
        migrations.AlterField("campaign", "status_reason",
                              models.CharField(blank=True, max_length=40)),
        migrations.DeleteModel("CampaignEvent"),
        # The table now belongs to core.ApiToken.
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel("ApiToken")]),
    ]
