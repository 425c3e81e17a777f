"""Copy both old audit tables (campaign events, audience entries) into the one trail."""

from django.db import migrations


def copy(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    CampaignEvent = apps.get_model("campaigns", "CampaignEvent")
    AuditEntry = apps.get_model("audience", "AuditEntry")
    rows = [AuditEvent(at=e.at, actor_id=e.actor_id, verb="legacy", subject_type="campaign",
                       subject_id=e.campaign_id, subject_label=e.campaign.name[:200],
                       params={"action": e.action, "detail": e.detail})
            for e in CampaignEvent.objects.select_related("campaign").iterator()]
    rows += [AuditEvent(at=e.at, actor_id=e.actor_id, verb="legacy",
                        params={"action": e.action, "detail": e.detail})
             for e in AuditEntry.objects.iterator()]
    AuditEvent.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("campaigns", "0004_admins_manage_users"),
                    ("audience", "0003_audit_entries_name")]
    operations = [migrations.RunPython(copy, migrations.RunPython.noop)]
