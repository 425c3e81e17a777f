"""The one CSV writer of the product: every CSV it lets people download is written here.

Cells hold text that came from outside (account ids people uploaded, words Tencent sent back).
A spreadsheet that opens the file runs a cell starting with `=`, `+`, `-` or `@` as a formula,
so an account named `=cmd|' /C calc'!A0` becomes a command on the reader's machine (CSV or
formula injection). OWASP's rule against it: such a cell gets a leading single quote, which
spreadsheets take as "this is text" (https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.utils.functional import Promise

# What a formula starts with. Tab and carriage return are OWASP's too: some spreadsheets skip
# leading whitespace and then read the `=` behind it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A text cell starting like a formula, with a quote in front; any other cell as it was.

    Only text is touched: a number the product writes itself (-2, a count, an error code) is
    no formula and stays a number a spreadsheet can add up."""
    if isinstance(value, Promise):  # a lazy translation is text too
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvWriter:
    """csv.writer's writerow and writerows, each cell made safe first."""

    def __init__(self, out):
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out) -> CsvWriter:
    """A writer onto a file-like `out` (an HttpResponse, a StringIO)."""
    return CsvWriter(out)


class _Echo:
    """A file whose write returns the text instead of keeping it, so each row is one line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """The rows as CSV text, a line at a time, for a StreamingHttpResponse of any length."""
    writer = CsvWriter(_Echo())
    for row in rows:
        yield writer.writerow(row)
