"""Times are stored in UTC as ISO 8601 text, which sorts as it reads."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def to_db(moment: datetime) -> str:
    """Text for a column: UTC with microseconds, fixed width, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to storage")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db(text: str) -> datetime:
    """The reverse of `to_db`."""
    return datetime.fromisoformat(text)  # C-speed; reads the trailing Z as UTC since 3.11
