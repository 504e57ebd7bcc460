"""Retention purges: each deletes one chunk of rows older than a moment, oldest first, and says
how many it deleted (fewer than the chunk: nothing older is left)."""

from __future__ import annotations

from datetime import datetime

from storage.broadcasts import keep_counts
from storage.clock import to_db
from storage.database import Tx

FINISHED = "('sent', 'failed', 'skipped', 'cancelled')"  # outbox rows nobody will send again


async def drafts(tx: Tx, before: datetime, limit: int) -> int:
    """Unfinished project ideas not changed since `before`."""
    return await tx.execute(
        "DELETE FROM idea_drafts WHERE user_key IN (SELECT user_key FROM idea_drafts"
        " WHERE updated_at < ? ORDER BY updated_at LIMIT ?)",
        (to_db(before), limit),
    )


async def conversations(tx: Tx, before: datetime, limit: int) -> int:
    """Conversation records (and what was typed into a form) without a message since `before`:
    the next message starts at the main menu."""
    return await tx.execute(
        "DELETE FROM conversations WHERE user_key IN (SELECT user_key FROM conversations"
        " WHERE updated_at < ? ORDER BY updated_at LIMIT ?)",
        (to_db(before), limit),
    )


async def processed(tx: Tx, before: datetime, limit: int) -> int:
    """Processed message ids, with their stored replies, from before `before`."""
    return await tx.execute(
        "DELETE FROM processed_messages WHERE rowid IN (SELECT rowid FROM processed_messages"
        " WHERE created_at < ? ORDER BY created_at LIMIT ?)",
        (to_db(before), limit),
    )


async def outbox(tx: Tx, before: datetime, limit: int) -> int:
    """Outbox rows that finished before `before`, with the WhatsApp statuses of their messages;
    an announcement keeps the counts of its rows."""
    stamp = to_db(before)
    chosen = (
        f"SELECT id FROM outbox WHERE finished_at < ? AND status IN {FINISHED}"
        " ORDER BY finished_at LIMIT ?"
    )
    await keep_counts(tx, chosen, (stamp, limit))
    await tx.execute(f"DELETE FROM whatsapp_statuses WHERE outbox_id IN ({chosen})", (stamp, limit))
    return await tx.execute(f"DELETE FROM outbox WHERE id IN ({chosen})", (stamp, limit))


async def statuses(tx: Tx, before: datetime, limit: int) -> int:
    """WhatsApp statuses last updated before `before` (notices, and rows already purged)."""
    return await tx.execute(
        "DELETE FROM whatsapp_statuses WHERE message_sid IN (SELECT message_sid"
        " FROM whatsapp_statuses WHERE updated_at < ? ORDER BY updated_at LIMIT ?)",
        (to_db(before), limit),
    )
