"""Reads for files rendered after the commit, off the event loop: their own read-only connection.

The engine renders attachments in a worker thread, where the aiosqlite connections (bound to the
event loop) cannot be used; a short-lived `sqlite3` connection opened read-only reads a consistent
snapshot there and never takes the write lock (WAL lets it run beside the writer).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from storage.database import Params, Tx


async def database_file(tx: Tx) -> str:
    """The path of the open database file, for a renderer that reads it later."""
    return str(await tx.fetch_value("SELECT file FROM pragma_database_list WHERE name = 'main'"))


def read(path: str, sql: str, params: Params = ()) -> list[sqlite3.Row]:
    """Run one query on a read-only connection of its own (call it from a worker thread)."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=5000")
        rows: list[Any] = conn.execute(sql, params).fetchall()
        return rows
    finally:
        conn.close()
