"""CSV files that a spreadsheet program opens as data, never as formulas: the one CSV writer of the product.

CSV (formula) injection: Excel, LibreOffice Calc and Google Sheets treat a cell whose first character is
``=``, ``+``, ``-``, ``@``, tab (0x09) or carriage return (0x0D) as a formula, so a household head named
``=HYPERLINK("http://…","点此")`` in the public notice becomes a live link (or worse) on the account
manager's PC. OWASP's mitigation is to prepend a single quote to such a cell, which spreadsheets read as
"this cell is text" (OWASP, CSV Injection, https://owasp.org/www-community/attacks/CSV_Injection;
OWASP ASVS 5.0 requirement 1.2.10 adds NUL to the list). This module also treats a leading line feed
like a carriage return. Quoting of separators, quotes and line breaks
inside a cell is left to :mod:`csv` (RFC 4180 §2.6-2.7, ``QUOTE_MINIMAL``).

One exception keeps figures usable: a cell that is a plain decimal number (``-1234.50``; digits, at most
one leading minus, an optional fraction) is written as is: it holds no formula, and prefixing it would
turn negative amounts into text.

* :func:`safe_cell` - one value → the text to write (``None`` → empty).
* :func:`writer` - a :func:`csv.writer` whose ``writerow``/``writerows`` apply :func:`safe_cell` to every
  cell. Every CSV the product writes goes through it (a test scans the code for other writers).
* :func:`unescape` - the reverse, for reading a CSV this module wrote (the roster import): one leading
  quote in front of a trigger character is removed.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

#: First characters that make a spreadsheet evaluate a cell (OWASP list, plus NUL and LF).
TRIGGERS = frozenset("=+-@\t\r\n\x00")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def safe_cell(value: Any) -> str:
    """``value`` as CSV cell text that no spreadsheet evaluates: ``str(value)``, with ``'`` prepended when it
    starts with one of :data:`TRIGGERS` and is not a plain decimal number. ``None`` → ``""``."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text and text[0] in TRIGGERS and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _SafeWriter:
    def __init__(self, stream: IO[str], kwargs: dict[str, Any]):
        self._minimal = csv.writer(stream, **kwargs)
        # csv quotes a field holding a character of *its* line terminator only: with "\n" a bare "\r" in a
        # cell would go out unquoted and start a new row in a spreadsheet. Such rows are written fully quoted.
        self._quoted = csv.writer(stream, **{**kwargs, "quoting": csv.QUOTE_ALL})

    def writerow(self, row: Iterable[Any]) -> Any:
        cells = [safe_cell(v) for v in row]
        if any("\r" in c or "\n" in c for c in cells):
            return self._quoted.writerow(cells)
        return self._minimal.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: IO[str], **kwargs: Any) -> _SafeWriter:
    """A CSV writer over ``stream`` (``kwargs`` as for :func:`csv.writer`, e.g. ``lineterminator``) that
    neutralises every cell with :func:`safe_cell`; a row with a line break inside a cell is written with
    every cell quoted (RFC 4180 §2.6), whatever the line terminator."""
    return _SafeWriter(stream, kwargs)


def unescape(text: str) -> str:
    """Undo :func:`safe_cell` on a cell read back from a CSV: ``'=…`` → ``=…`` (only when the quote stands
    in front of a trigger character; any other text is returned unchanged)."""
    if len(text) >= 2 and text[0] == "'" and text[1] in TRIGGERS:
        return text[1:]
    return text
