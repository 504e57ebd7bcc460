"""CSV files safe to open in a spreadsheet: what a member typed is never run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from storage.clock import from_db

# A cell starting with one of these is read as a formula (or, with tab and CR, can smuggle one
# past the first character) by Excel, LibreOffice and Google Sheets: OWASP's "CSV injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A value as a cell's text; one that a spreadsheet would run gets an apostrophe in front."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file in UTF-8 with a byte-order mark (so Excel reads ë and Greek), cells made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def utc_time(stored: str | None) -> str:
    """A stored UTC time as a spreadsheet reads it: `2026-11-27 22:18`."""
    return "" if not stored else from_db(stored).strftime("%Y-%m-%d %H:%M")
