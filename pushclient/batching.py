"""Split any number of accounts into calls the API accepts (≤ 100 accounts, ≤ 10 tags an entry)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from .payload import MAX_ACCOUNTS_PER_CALL, MAX_TAGS_PER_ENTRY


def chunks(items: Iterable, size: int = MAX_ACCOUNTS_PER_CALL) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def tag_calls(accounts: Iterable[str], tags: list[str]) -> Iterator[dict[str, list[str]]]:
    """One {account: tags} mapping per call; more than 10 tags become several calls per batch."""
    tag_groups = list(chunks(tags, MAX_TAGS_PER_ENTRY))
    for batch in chunks(accounts):
        for group in tag_groups:
            yield {account: group for account in batch}
