"""Conversation records: where each user is in which flow, stored as one JSON document."""

from __future__ import annotations

from datetime import datetime

from storage.clock import to_db
from storage.database import Tx


async def save(tx: Tx, key: str, state: str, now: datetime) -> None:
    """Write a user's conversation record."""
    await tx.execute(
        "INSERT INTO conversations (user_key, state, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_key) DO UPDATE SET state = excluded.state,"
        " updated_at = excluded.updated_at",
        (key, state, to_db(now)),
    )


async def load(tx: Tx, key: str) -> str | None:
    """A user's conversation record, if they have one."""
    value = await tx.fetch_value("SELECT state FROM conversations WHERE user_key = ?", (key,))
    return None if value is None else str(value)
