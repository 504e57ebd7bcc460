"""Roles granted in the chat; those named in ADMINS and OFFICERS are added by the engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db, to_db
from storage.database import Tx

ROLES = ("admin", "officer")


@dataclass(frozen=True, slots=True)
class Grant:
    """One role held by one user, granted in the chat."""

    user_key: str
    role: str
    granted_by: str | None
    granted_at: datetime


async def of(tx: Tx, key: str) -> frozenset[str]:
    """The roles granted in the chat to one user."""
    rows = await tx.fetch_all("SELECT role FROM roles WHERE user_key = ?", (key,))
    return frozenset(row["role"] for row in rows)


async def grant(tx: Tx, key: str, role: str, *, by: str, now: datetime) -> bool:
    """Grant a role; False when the user already had it."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    changed = await tx.execute(
        "INSERT INTO roles (user_key, role, granted_by, granted_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_key, role) DO NOTHING",
        (key, role, by, to_db(now)),
    )
    return changed > 0


async def revoke(tx: Tx, key: str, role: str) -> bool:
    """Revoke a role granted in the chat; False when there was none."""
    changed = await tx.execute("DELETE FROM roles WHERE user_key = ? AND role = ?", (key, role))
    return changed > 0


async def grants(tx: Tx) -> list[Grant]:
    """Every role granted in the chat, by role then key."""
    rows = await tx.fetch_all(
        "SELECT user_key, role, granted_by, granted_at FROM roles ORDER BY role, user_key"
    )
    return [
        Grant(row["user_key"], row["role"], row["granted_by"], from_db(row["granted_at"]))
        for row in rows
    ]
