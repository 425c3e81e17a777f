"""A segment's invalid lines store the rule each broke and its parameters, worded when shown.

They stored the English sentence ("line 3 is 33 bytes long, …"), which the Chinese pages showed
in English. The four sentences audience.rules made are read back into their rule; any other
text is kept as it is and shown as stored.
"""

import re

from django.db import migrations

SENTENCES = [
    (re.compile(r"^line \d+ is empty: give an account id\.$"), "account.empty"),
    (re.compile(r"^line \d+ starts or ends with a space\. "), "account.spaces"),
    (re.compile(r"^line \d+ holds an invisible control character\. "),
     "account.control_character"),
    (re.compile(r"^line \d+ is (?P<size>[\d,]+) bytes long, and Tencent account ids are at most "
                r"(?P<max>[\d,]+) bytes"), "account.too_long"),
]


def rule_of(line: list) -> list:
    if len(line) != 2 or not isinstance(line[1], str):
        return line
    for pattern, rule in SENTENCES:
        match = pattern.match(line[1])
        if match:
            params = {k: int(v.replace(",", "")) for k, v in match.groupdict().items()}
            return [line[0], rule, params]
    return line


def forwards(apps, schema_editor):
    Segment = apps.get_model("audience", "Segment")
    for segment in Segment.objects.exclude(invalid_lines=[]).iterator():
        segment.invalid_lines = [rule_of(line) for line in segment.invalid_lines]
        segment.save(update_fields=["invalid_lines"])


class Migration(migrations.Migration):

    dependencies = [
        ("audience", "0009_failures_store_codes"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
