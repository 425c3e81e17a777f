"""The product's rule for an account id a person typed or uploaded, in their words.

Tencent refuses only an id that is not text (spec §1.4, 60015); its own samples hold spaces.
The product is stricter where an id is surely mistyped, and says so.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from pushclient.payload import MAX_USER_ID_BYTES, utf8_len


def account_id_errors(label: str, account) -> list[str]:
    """`label` names the id in the message, e.g. "The sender" or "line 3"."""
    if not isinstance(account, str):
        return []  # Tencent's rule (60015) says it
    if not account:
        return [_("%(label)s is empty: give an account id.") % {"label": label}]
    if account != account.strip():
        return [_("%(label)s starts or ends with a space. Tencent would take it as another "
                  "account than the one meant: remove the spaces.") % {"label": label}]
    if any(not c.isprintable() for c in account):
        return [_("%(label)s holds an invisible control character. Tencent would take it as "
                  "another account than the one meant: type the account id again.")
                % {"label": label}]
    if utf8_len(account) > MAX_USER_ID_BYTES:
        return [_("%(label)s is %(size)d bytes long, and Tencent account ids are at most "
                  "%(limit)d bytes: check the account id.")
                % {"label": label, "size": utf8_len(account), "limit": MAX_USER_ID_BYTES}]
    return []
