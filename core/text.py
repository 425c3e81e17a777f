"""Text the database and Tencent cannot take: NUL characters and lone UTF-16 surrogates (which
JSON can carry as escapes). One check for every JSON value a person or script sends."""

from __future__ import annotations

from django.utils.translation import gettext as _

MAX_DEPTH = 32


def _bad(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def unsafe_text_errors(value, path: str, *, depth: int = 0) -> dict[str, list[str]]:
    """{path: [message]} for the first unusable string or too-deep nesting found in `value`."""
    if depth > MAX_DEPTH:
        return {path or "body": [_("%(field)s is nested more than %(depth)d levels deep")
                                 % {"field": path or "body", "depth": MAX_DEPTH}]}
    if isinstance(value, str):
        if _bad(value):
            return {path: [_("%(field)s holds a NUL character or an unpaired surrogate, which "
                             "cannot be stored or sent") % {"field": path}]}
        return {}
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((f"[{i}]", item) for i, item in enumerate(value))
    else:
        return {}
    for key, item in items:
        if isinstance(key, str) and _bad(key):
            return {path or "body": [_("%(field)s has a key holding a NUL character or an "
                                       "unpaired surrogate") % {"field": path or "body"}]}
        sub = f"{path}{key}" if key.startswith("[") else (f"{path}.{key}" if path else key)
        errors = unsafe_text_errors(item, sub, depth=depth + 1)
        if errors:
            return errors
    return {}
