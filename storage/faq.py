"""Votes on FAQ answers ("did this help?")."""

from __future__ import annotations

from datetime import datetime

from storage.clock import to_db
from storage.database import Tx


async def vote(tx: Tx, entry_id: str, key: str, helpful: bool, now: datetime) -> None:
    """Record (or change) a user's vote on an answer."""
    await tx.execute(
        "INSERT INTO faq_feedback (entry_id, user_key, helpful, voted_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (entry_id, user_key) DO UPDATE SET helpful = excluded.helpful,"
        " voted_at = excluded.voted_at",
        (entry_id, key, int(helpful), to_db(now)),
    )


async def tally(tx: Tx) -> dict[str, tuple[int, int]]:
    """Per entry: (helpful, not helpful) votes."""
    rows = await tx.fetch_all(
        "SELECT entry_id, sum(helpful), sum(1 - helpful) FROM faq_feedback GROUP BY entry_id"
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


async def shown(tx: Tx, entry_id: str, now: datetime) -> None:
    """Count one answer shown (a counter per entry: no user key)."""
    await tx.execute(
        "INSERT INTO faq_views (entry_id, shown, last_shown_at) VALUES (?, 1, ?)"
        " ON CONFLICT (entry_id) DO UPDATE SET shown = shown + 1,"
        " last_shown_at = excluded.last_shown_at",
        (entry_id, to_db(now)),
    )
