"""Split any number of accounts into calls the API accepts (at most 100 accounts a call)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from .payload import MAX_ACCOUNTS_PER_CALL


def chunks(items: Iterable, size: int = MAX_ACCOUNTS_PER_CALL) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch

