"""Processed platform message ids, with the replies they produced, so a redelivery is not re-run."""

from __future__ import annotations

from datetime import datetime

from storage.clock import to_db
from storage.database import Tx


async def record(
    tx: Tx, channel: str, message_id: str, key: str, replies: str, now: datetime
) -> None:
    """Remember that a message was processed and what was answered."""
    await tx.execute(
        "INSERT INTO processed_messages (channel, message_id, user_key, replies, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (channel, message_id, key, replies, to_db(now)),
    )


async def mark_delivered(tx: Tx, channel: str, message_id: str) -> None:
    """Note that the replies reached the platform, so a redelivery gets nothing again."""
    await tx.execute(
        "UPDATE processed_messages SET delivered = 1 WHERE channel = ? AND message_id = ?",
        (channel, message_id),
    )
