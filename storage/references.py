"""Reference numbers such as Q-2026-0042: one counter per prefix and year, in the caller's
transaction (the write lock serialises them; the UNIQUE column is the backstop)."""

from __future__ import annotations

from storage.database import Tx


async def next_reference(tx: Tx, prefix: str, year: int) -> str:
    """The next reference for a prefix in a year, e.g. `Q-2026-0042`."""
    rows = await tx.fetch_all(
        "INSERT INTO reference_counters (prefix, year, last) VALUES (?, ?, 1)"
        " ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1 RETURNING last",
        (prefix, year),
    )
    return f"{prefix}-{year}-{int(rows[0][0]):04d}"
