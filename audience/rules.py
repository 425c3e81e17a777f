"""The product's rules for what a person typed or uploaded (account ids, a job's tags and
attributes), in their words.

Tencent refuses only an id that is not text (spec §1.4, 60015); its own samples hold spaces.
The product is stricter where an id is surely mistyped, and says so. Tencent's own rules for
tags and attributes (counts, lengths, names) are pushclient.payload's; here is only what the
product refuses because the job would change nothing or something other than meant.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from pushclient.payload import MAX_USER_ID_BYTES, utf8_len


def has_control_character(text: str) -> bool:
    """Tabs, bells, zero-width marks…: invisible, so surely not meant in an id or a tag."""
    return any(not c.isprintable() for c in text)


def account_id_errors(label: str, account) -> list[str]:
    """`label` names the id in the message, e.g. "The sender" or "line 3"."""
    if not isinstance(account, str):
        return []  # Tencent's rule (60015) says it
    if not account:
        return [_("%(label)s is empty: give an account id.") % {"label": label}]
    if account != account.strip():
        return [_("%(label)s starts or ends with a space. Tencent would take it as another "
                  "account than the one meant: remove the spaces.") % {"label": label}]
    if has_control_character(account):
        return [_("%(label)s holds an invisible control character. Tencent would take it as "
                  "another account than the one meant: type the account id again.")
                % {"label": label}]
    if utf8_len(account) > MAX_USER_ID_BYTES:
        return [_("%(label)s is %(size)d bytes long, and Tencent account ids are at most "
                  "%(limit)d bytes: check the account id.")
                % {"label": label, "size": utf8_len(account), "limit": MAX_USER_ID_BYTES}]
    return []


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
        return [_("%(field)s holds an empty tag: every tag needs text.") % {"field": _("Tags")}]
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
