"""Long button payloads stored under short keys, for platforms that limit their size."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from storage.clock import to_db
from storage.database import Tx

KEY_PREFIX = "#"


def key_for(payload: str) -> str:
    """The short key of a payload: the same payload always gets the same key."""
    digest = hashlib.sha256(payload.encode("utf-8")).digest()
    return KEY_PREFIX + base64.urlsafe_b64encode(digest)[:16].decode("ascii")


async def store(tx: Tx, payload: str, now: datetime) -> str:
    """Keep a payload and return its key."""
    key = key_for(payload)
    await tx.execute(
        "INSERT INTO telegram_callbacks (key, payload, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO NOTHING",
        (key, payload, to_db(now)),
    )
    return key


async def payload_of(tx: Tx, key: str) -> str | None:
    """The payload a key stands for, if it was stored."""
    value = await tx.fetch_value("SELECT payload FROM telegram_callbacks WHERE key = ?", (key,))
    return None if value is None else str(value)
