"""The product's rules for what a person typed or uploaded (account ids, a job's tags and
attributes), in their words.

Tencent refuses only an id that is not text (spec §1.4, 60015); its own samples hold spaces.
The product is stricter where an id is surely mistyped, and says so. Tencent's own rules for
tags and attributes (counts, lengths, names) are pushclient.payload's; here is only what the
product refuses because the job would change nothing or something other than meant.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidInput
from core.payload_words import violation_words
from core.times import is_zone
from pushclient.payload import MAX_USER_ID_BYTES, Violation, utf8_len


def has_control_character(text: str) -> bool:
    """Tabs, bells, zero-width marks…: invisible, so surely not meant in an id or a tag."""
    return any(not c.isprintable() for c in text)


def account_id_violations(field: str, account) -> list[Violation]:
    """The product's rules for one account id (worded in core.payload_words)."""
    if not isinstance(account, str):
        return []  # Tencent's rule (60015) says it
    if not account:
        return [Violation(field, "account.empty")]
    if account != account.strip():
        return [Violation(field, "account.spaces")]
    if has_control_character(account):
        return [Violation(field, "account.control_character")]
    if utf8_len(account) > MAX_USER_ID_BYTES:
        return [Violation(field, "account.too_long",
                          {"size": utf8_len(account), "max": MAX_USER_ID_BYTES})]
    return []


def account_id_errors(label: str, account) -> list[str]:
    """account_id_violations in words; `label` names the id, e.g. "line 3"."""
    return [violation_words(v, field=label) for v in account_id_violations("account", account)]


def invalid_line_words(line: list) -> list:
    """A segment's stored invalid line, [number, rule id, params], as [number, why] in the
    reader's language (rows stored before issue 24 hold their words already)."""
    if len(line) != 3:
        return line
    number, rule, params = line
    return [number, violation_words(Violation("account", rule, params),
                                    field=_("line %(n)s") % {"n": number})]


def job_tags_errors(tags) -> list[str]:
    """The tags an add-tags or remove-tags job applies: at least one, none blank, none with a
    control character. Tencent documents no refusal of these for add_tag (90040 is for push
    conditions): without this rule such a job is sent, and changes nothing or stores a tag
    nobody meant."""
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return []  # Tencent's rule (90001) says it
    if not tags:
        return [_("Tags: give at least one tag to add or remove.")]
    if any(not tag.strip() for tag in tags):
        return [violation_words(Violation("tags", "tags.empty_tag"))]  # Tencent's words
    return [_("Tags: tag %(n)s holds an invisible control character. Tencent would store "
              "another tag than the one meant: type the tag again.") % {"n": n}
            for n, tag in enumerate(tags, 1) if has_control_character(tag)][:1]


def job_attrs_errors(attrs, *, removing: bool) -> list[str]:
    """What a set-attributes or remove-attributes job changes: at least one attribute. With
    none, every call would change nothing."""
    if not isinstance(attrs, (dict, list)) or attrs:
        return []  # Tencent's rules (90033) say what else is wrong
    if removing:
        return [_("Attributes: give at least one attribute name to remove.")]
    return [_("Attributes: give at least one attribute and its value.")]


# Attribute names people give a time-zone attribute. Local-time delivery buckets accounts by
# such an attribute's value, and a value that is no zone ("Berlin", "UTC+8") puts its accounts
# in no bucket, silently: so a value set under one of these names must be a real IANA zone.
ZONE_ATTRIBUTE_NAMES = frozenset({"tz", "timezone", "time_zone", "time-zone", "zone",
                                  "time zone", "时区"})


def is_zone_attribute(name) -> bool:
    return isinstance(name, str) and name.strip().lower() in ZONE_ATTRIBUTE_NAMES


def job_zone_tags_errors(tags) -> list[str]:
    """A tag that starts with the local-time prefix ("tz:") names a zone: it must be a real
    IANA zone, or local-time delivery never finds its accounts. Only for adding: removing
    a mistyped "tz:Berlin" is how it is cleaned up."""
    prefix = settings.LOCAL_TIME_TAG_PREFIX
    if not prefix or not isinstance(tags, list):
        return []
    return [_("Tags: “%(tag)s” starts with “%(prefix)s”, so what follows must be an IANA time "
              "zone, such as %(prefix)sAsia/Tokyo or %(prefix)sEurope/Berlin; “%(zone)s” is "
              "not one.") % {"tag": tag, "prefix": prefix, "zone": tag[len(prefix):]}
            for tag in tags if isinstance(tag, str) and tag.startswith(prefix)
            and not is_zone(tag[len(prefix):])][:1]


def job_zone_attrs_errors(attrs) -> list[str]:
    """The value of a time-zone attribute (see ZONE_ATTRIBUTE_NAMES) must be a real IANA zone."""
    if not isinstance(attrs, dict):
        return []
    return [_("Attributes: “%(name)s” holds a time zone, so its value must be an IANA time "
              "zone such as Asia/Tokyo or Europe/Berlin; “%(value)s” is not one.")
            % {"name": name, "value": value}
            for name, value in attrs.items()
            if is_zone_attribute(name) and isinstance(value, str) and not is_zone(value)][:1]


# Why a segment's file was refused: a request shows the words at once; a worker's import stores
# [[field, rule id, params], …] on Segment.error, worded where it is read.
IMPORT_RULES = {
    "segment.not_utf8": gettext_lazy("The file is not UTF-8 text; save it as UTF-8 (one account "
                                     "per line or CSV)"),
    "segment.csv_unreadable": gettext_lazy("Line %(line)s cannot be read as CSV (%(detail)s); "
                                           "check the file"),
    "segment.several_columns": gettext_lazy("The file has several columns (%(columns)s): choose "
                                            "the column that holds the account ids"),
    "segment.header_line": gettext_lazy("Line 1 reads '%(name)s', which names a column: choose "
                                        "the column '%(name)s' so that line is read as its "
                                        "header"),
    "segment.no_column": gettext_lazy("The CSV has no column '%(column)s'; its columns are "
                                      "%(columns)s"),
    "segment.no_valid_account": gettext_lazy("No valid account in the list; line %(n)s: "
                                             "%(why)s"),
    "segment.empty": gettext_lazy("No valid account in the list; it is empty"),
    "segment.import_failed": gettext_lazy("The file could not be imported (an unexpected error, "
                                          "logged); upload it again"),
}


def import_words(rule: str, params: dict) -> str:
    params = dict(params)
    if rule == "segment.no_valid_account":  # its first invalid line, a rule of its own
        params["n"], params["why"] = invalid_line_words(params.pop("line"))
    if rule == "segment.no_column" and not params.get("columns"):
        params["columns"] = _("none")
    return str(IMPORT_RULES[rule]) % params


class ImportRefused(InvalidInput):
    """A segment's file refused by one rule: worded now, and storable as its rule."""

    def __init__(self, field: str, rule: str, **params):
        self.stored = [[field, rule, params]]
        super().__init__({field: [import_words(rule, params)]})


def import_error_words(error) -> dict[str, list[str]]:
    """Segment.error in the reader's language; an error stored as words (before errors were
    stored as rules) is shown as it was stored."""
    if isinstance(error, dict):
        return error
    words: dict[str, list[str]] = {}
    for field, rule, params in error:
        words.setdefault(field, []).append(import_words(rule, params))
    return words


# --- A/B buckets (audience/buckets.py) ----------------------------------------------------

def bucket_of(account: str) -> int:
    """The account's bucket, 0 to EXPERIMENT_BUCKETS − 1: the first 8 bytes of the SHA-256 of
    its id, big-endian, modulo the count. The benchmark of issue 28 draws the same way."""
    digest = hashlib.sha256(account.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % settings.EXPERIMENT_BUCKETS


def bucket_tag(n: int) -> str:
    return f"{settings.EXPERIMENT_BUCKET_PREFIX}{n}"


def bucket_tags() -> list[str]:
    """Every bucket's tag, bucket 0 first."""
    return [bucket_tag(n) for n in range(settings.EXPERIMENT_BUCKETS)]
