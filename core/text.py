"""Text as people and scripts type it: lists of items, ids and counts, and what the database
and Tencent cannot take (NUL characters and lone UTF-16 surrogates, which JSON can carry as
escapes). One reading of each for every form, page and API."""

from __future__ import annotations

import json
import re

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .errors import InvalidInput

MAX_DEPTH = 32

# What separates the items of a list people type: the ASCII comma, the full-width comma "，" and
# the ideographic comma "、" (a Chinese keyboard's commas), the ASCII and full-width semicolons,
# and line breaks. Nothing else: a space may belong to a tag or an attribute's value.
LIST_SEPARATORS = re.compile(r"[,，、;；\r\n]")


def items_from_text(*texts: str) -> list[str]:
    """The items of lists people type (tags, accounts, attribute names), in one field or
    several, in order: split at LIST_SEPARATORS, each stripped of spaces (full-width ones
    too), blank ones dropped, repeats kept. What an item may hold is each caller's rule."""
    return [item.strip() for text in texts for item in LIST_SEPARATORS.split(text or "")
            if item.strip()]


def words_list(items) -> str:
    """Items named in a sentence, with the reader's separator (", " in English, "、" in
    Chinese, where an ASCII comma inside a sentence reads as a typo)."""
    return pgettext("separator between the items of a list in a sentence", ", ").join(
        str(item) for item in items)


def clauses(items) -> str:
    """Clauses of one sentence, with the reader's semicolon ("; " in English, "；" in Chinese,
    where an ASCII one reads as a typo)."""
    return pgettext("separator between the clauses of a sentence", "; ").join(
        str(item) for item in items)


def in_brackets(detail) -> str:
    """A detail after the words before it: " (22:00–08:00)" in English, "（22:00–08:00）" in
    Chinese."""
    return pgettext("a detail in brackets after words", " (%(detail)s)") % {"detail": detail}


def ascii_digits(text) -> bool:
    """Whether `text` is one or more of 0-9. str.isdigit() also takes "²" and "٣", which
    int() refuses or reads as another number: every id or count typed into a form, a query
    or a URL is checked here before int()."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def whole_number(text, *, max_digits: int = 18) -> int | None:
    """A typed id or count as an int, or None: ASCII digits only, at most `max_digits` of them
    (18 fit a 64-bit database column)."""
    return int(text) if ascii_digits(text) and len(text) <= max_digits else None


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


def _no_constants(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_or_error(text, *, field: str, invalid: str):
    """JSON text sent in one field (or the whole body, field ""), read by the API's rules: no
    NaN or Infinity, no NUL or unpaired surrogates, no nesting deeper than MAX_DEPTH. A few
    thousand brackets exhaust Python's recursion before MAX_DEPTH can be checked: that is
    refused by the same words, never a 500. `invalid` words text that is not JSON at all."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        label = field or "body"
        raise InvalidInput({label: [_("%(field)s is nested more than %(depth)d levels deep")
                                    % {"field": label, "depth": MAX_DEPTH}]}) from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput({field or "body": [invalid]}) from None
    errors = unsafe_text_errors(value, field)
    if errors:
        raise InvalidInput(errors)
    return value
