"""What the engine needs for one incoming message, read in a single statement."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Tx
from storage.users import COLUMNS, User


@dataclass(frozen=True, slots=True)
class Loaded:
    """The user (None when new), their conversation, granted roles, and a previous processing."""

    user: User | None
    state: str | None
    roles: frozenset[str]
    replayed: str | None
    delivered: bool


_USER_COLUMNS = ", ".join(f"u.{name} AS u_{name}" for name in COLUMNS)

# One round trip instead of four: each await on aiosqlite is a hop to its thread.
_LOAD = f"""
SELECT {_USER_COLUMNS},
       c.state AS state,
       (SELECT group_concat(role) FROM roles WHERE user_key = :key) AS roles,
       p.replies AS replayed,
       p.delivered AS delivered
FROM (SELECT :key AS key) AS q
LEFT JOIN users AS u ON u.key = q.key
LEFT JOIN conversations AS c ON c.user_key = q.key
LEFT JOIN processed_messages AS p ON p.channel = :channel AND p.message_id = :message_id
"""


async def load(tx: Tx, key: str, channel: str, message_id: str | None) -> Loaded:
    """Read the user, conversation, roles and any earlier processing of this message id."""
    row = await tx.fetch_one(_LOAD, {"key": key, "channel": channel, "message_id": message_id})
    assert row is not None  # the FROM clause always yields one row
    user = None if row["u_key"] is None else User.from_row(row, prefix="u_")
    roles = frozenset(row["roles"].split(",")) if row["roles"] else frozenset()
    return Loaded(user, row["state"], roles, row["replayed"], bool(row["delivered"]))
