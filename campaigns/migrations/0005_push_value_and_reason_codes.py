"""The push becomes one JSON value; status reasons become codes with parameters; quota days
get a row to lock."""

from django.db import migrations, models

PUSH_COLUMNS = (("MsgBody", "msg_body"), ("Condition", "condition"),
                ("OfflinePushInfo", "offline_push_info"), ("MsgLifeTime", "msg_life_time"),
                ("From_Account", "from_account"))
# The old English reasons, by how they start.
REASON_CODES = (("Moved to", "moved_full_day"), ("Missed", "missed"),
                ("Retrying", "retrying"), ("An operator confirmed", "operator_confirmed"),
                ("An operator asked", "operator_send_again"),
                ("The worker stopped", "worker_stopped"))


def forward(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    for campaign in Campaign.objects.iterator():
        campaign.push = {key: getattr(campaign, column) for key, column in PUSH_COLUMNS
                         if getattr(campaign, column) not in (None, "", {})}
        old = campaign.status_reason or ""
        code = next((c for prefix, c in REASON_CODES if old.startswith(prefix)), None)
        campaign.status_params = {} if code or not old else {"explanation": old}
        campaign.status_reason = code or ("refused" if old else "")
        campaign.save(update_fields=["push", "status_reason", "status_params"])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0004_admins_manage_users"), ("core", "0002_one_audit_trail")]
    operations = [
        migrations.CreateModel(name="QuotaDay", fields=[
            ("day", models.DateField(primary_key=True, serialize=False))]),
        migrations.AddField("campaign", "push", models.JSONField(default=dict)),
        migrations.AddField("campaign", "status_params",
                            models.JSONField(blank=True, default=dict)),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
