"""CSV exports: every cell a spreadsheet would run as a formula is made plain text."""

from __future__ import annotations

import csv
import io

import pytest

from bot.spreadsheet import cell, csv_bytes, utc_time


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+39 333 1234567", "'+39 333 1234567"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Korçë", "Korçë"),
        ("a=1", "a=1"),  # only the first character counts
        ("'already quoted", "'already quoted"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(value: object, shown: str) -> None:
    assert cell(value) == shown


def test_a_file_round_trips_with_its_byte_order_mark_quotes_and_line_breaks() -> None:
    data = csv_bytes(
        ["Titulli", "=Header"],
        [["Ullishte, Vlorë", 'He said "=2+2"\non two lines'], ["-10", None]],
    )
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with it
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["Titulli", "'=Header"],
        ["Ullishte, Vlorë", 'He said "=2+2"\non two lines'],
        ["'-10", ""],
    ]


def test_stored_times_read_as_minutes_in_utc() -> None:
    assert utc_time("2026-11-27T22:18:40.123456Z") == "2026-11-27 22:18"
    assert utc_time(None) == ""
