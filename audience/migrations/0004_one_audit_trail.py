from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audience", "0003_audit_entries_name"), ("core", "0002_one_audit_trail")]
    operations = [migrations.DeleteModel("AuditEntry")]
