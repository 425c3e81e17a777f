"""Failed accounts and batches store Tencent's code and its ErrorInfo, worded when shown.

They stored an English sentence made from the code (pushclient.errors.explain, or "The account
does not exist in the app (70107)"), which the Chinese pages showed in English. A sentence made
from a code gives the code back and nothing else; "Tencent refused the request: <info>" gives
its info; a retry's sentence gives its code by the table of meanings. Other text is kept as the
info, which is shown after "Tencent refused the request:".
"""

import re

from django.db import migrations, models

from pushclient.errors import EXPLANATIONS

OLD_ACCOUNT_NOT_FOUND = "The account does not exist in the app (70107)"
REFUSED_SAYING = "Tencent refused the request: "
REFUSED = re.compile(r"^Tencent refused the request \(error (-?\d+)\)\.$")
CODED = re.compile(r"^(-?\d+): (.*)$", re.S)


def code_and_info(text: str, code=None) -> tuple[int | None, str]:
    """(code, info) for a stored sentence; `code` when the row already holds it."""
    codes = {words: c for c, words in EXPLANATIONS.items()}
    codes[OLD_ACCOUNT_NOT_FOUND] = 70107
    if text in codes:
        return code if code is not None else codes[text], ""
    if text.startswith(REFUSED_SAYING):
        return code, text[len(REFUSED_SAYING):]
    refused = REFUSED.match(text)
    if refused:
        return int(refused[1]), ""
    return code, text


def forwards(apps, schema_editor):
    JobFailure = apps.get_model("audience", "JobFailure")
    JobBatch = apps.get_model("audience", "JobBatch")
    for failure in JobFailure.objects.exclude(info="").iterator():
        failure.info = code_and_info(failure.info, failure.code)[1]
        failure.save(update_fields=["info"])
    for batch in JobBatch.objects.exclude(error_info="").iterator():
        coded = CODED.match(batch.error_info)
        code, text = (int(coded[1]), coded[2]) if coded else (None, batch.error_info)
        batch.error_code, batch.error_info = code_and_info(text, code)
        batch.save(update_fields=["error_code", "error_info"])


class Migration(migrations.Migration):

    dependencies = [
        ("audience", "0008_audience_managers"),
    ]

    operations = [
        migrations.RenameField(model_name="jobfailure", old_name="reason", new_name="info"),
        migrations.AlterField(
            model_name="jobfailure", name="info",
            field=models.TextField(blank=True, verbose_name="Tencent's words"),
        ),
        migrations.RenameField(model_name="jobbatch", old_name="error", new_name="error_info"),
        migrations.AddField(
            model_name="jobbatch", name="error_code",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
