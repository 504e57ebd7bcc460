"""Delivery statuses of outgoing WhatsApp messages, as Twilio's status callback reports them."""

from __future__ import annotations

from datetime import datetime

from storage.clock import to_db
from storage.database import Tx

# The order statuses normally arrive in; a late "sent" never overwrites "read".
_RANK = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "read": 5}


async def record(
    tx: Tx,
    sid: str,
    user_key: str | None,
    status: str,
    error_code: int | None,
    now: datetime,
    outbox_id: int | None = None,
) -> None:
    """Keep a message's latest status (a failure stays; a late callback never goes back)."""
    row = await tx.fetch_one("SELECT status FROM whatsapp_statuses WHERE message_sid = ?", (sid,))
    if row is not None:
        old = row["status"]
        if old in ("failed", "undelivered") or _RANK.get(status, 9) < _RANK.get(old, 0):
            return
    await tx.execute(
        "INSERT INTO whatsapp_statuses"
        " (message_sid, user_key, status, error_code, updated_at, outbox_id)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_sid) DO UPDATE SET"
        " status = excluded.status, error_code = excluded.error_code,"
        " updated_at = excluded.updated_at,"
        " outbox_id = coalesce(whatsapp_statuses.outbox_id, excluded.outbox_id)",
        (sid, user_key, status, error_code, to_db(now), outbox_id),
    )


async def status_of(tx: Tx, sid: str) -> tuple[str, int | None] | None:
    """The recorded status and error code of a message."""
    row = await tx.fetch_one(
        "SELECT status, error_code FROM whatsapp_statuses WHERE message_sid = ?", (sid,)
    )
    return None if row is None else (row["status"], row["error_code"])
