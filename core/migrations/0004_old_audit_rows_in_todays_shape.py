"""Rows from before the one trail kept English text (action "job add_tags", detail
"{'0': 'sex'}"), and early role changes kept "Admins, Marketers": rewrite them once as the
verb and parameters they would have today, so that reading the trail parses nothing."""

import ast
import re

from django.db import migrations

LEGACY_JOB = re.compile(r"job (\d+) on segment '(?P<segment>.*)' \((?P<accounts>[\d,]+) accounts\)")
LEGACY_VERBS = {"attribute names set": "attribute_names.set",
                "attribute names read back": "attribute_names.read_back",
                "job cancelled": "job.cancelled", "job resumed": "job.resumed",
                "created": "campaign.created", "edited": "campaign.edited"}


def names_text(detail: str) -> str:
    """"{'0': 'sex'}" as "0=sex", as attribute-name rows are written today."""
    try:
        names = ast.literal_eval(detail)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return detail
    if not isinstance(names, dict):
        return detail
    return ", ".join(f"{i}={n}" for i, n in sorted(names.items(), key=lambda kv: str(kv[0])))


def todays_shape(action: str, detail: str) -> tuple[str, dict] | None:
    """(verb, params) for an old row's action and detail; None where no verb of today fits
    (the row stays `legacy`, worded as its action and detail)."""
    verb = LEGACY_VERBS.get(action)
    if verb and verb.startswith("attribute_names"):
        return verb, {"names": names_text(detail)}
    if verb:
        return verb, {}
    if action.startswith("job "):
        params = {"action": action[4:]}
        match = LEGACY_JOB.fullmatch(detail)
        if match:
            params.update(segment=match["segment"], accounts=match["accounts"])
        return "job.created", params
    return None


def convert(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    changed = []
    for event in AuditEvent.objects.filter(verb="legacy").iterator(chunk_size=1000):
        shape = todays_shape(str(event.params.get("action", "")),
                             str(event.params.get("detail", "")))
        if shape:
            event.verb, event.params = shape
            changed.append(event)
    for event in AuditEvent.objects.filter(verb="user.roles_changed").iterator(chunk_size=1000):
        groups = event.params.get("groups", [])
        if not isinstance(groups, list):
            event.params = {**event.params,
                            "groups": [g for g in str(groups).split(", ") if g]}
            changed.append(event)
    AuditEvent.objects.bulk_update(changed, ["verb", "params"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_verbose_names_in_words")]
    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
