"""Helpers for the event tests: events written through the repository, members who onboarded."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.console import ConsoleChannel, ConsoleSender
from bot.engine import Engine
from bot.outbox import OutboxWorker
from storage import events
from storage.clock import utcnow
from storage.database import Database
from storage.events import Text
from tests.harness import Chat

TITLES = {
    "sq": Text("Takim në Milano", "Përshkrimi"),
    "it": Text("Incontro a Milano", "Descrizione"),
    "en": Text("Meeting in Milan", "Description"),
}


async def add_event(
    db: Database,
    *,
    start: datetime | None = None,
    hours: float = 2,
    zone: str = "Europe/Rome",
    capacity: int | None = 50,
    status: str = "published",
    texts: dict[str, Text] | None = None,
    **values: Any,
) -> int:
    """An event in the database (published, in three days, in Milan, unless told otherwise)."""
    begins = start or (utcnow() + timedelta(days=3)).replace(microsecond=0)
    values.setdefault("city", "Milano")
    values.setdefault("country", "IT")
    async with db.transaction() as tx:
        return await events.create(
            tx,
            texts=texts or TITLES,
            by=None,
            now=utcnow(),
            status=status,
            starts_at=begins,
            ends_at=begins + timedelta(hours=hours),
            time_zone=zone,
            capacity=capacity,
            **values,
        )


def local(text: str, zone: str) -> datetime:
    """A local time such as "2026-03-29 18:30" in a zone."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


async def member(
    chat: Callable[..., Chat], key: str, *, agree: bool = True, language: str = "English"
) -> Chat:
    """A user who chose a language, agreed (or not), skipped the profile: at the main menu."""
    person: Chat = chat(key, hint="en")
    await person.send("/start")
    await person.press(language)
    if agree:
        await person.press("agree")
        await person.press("skip")
    else:
        await person.press("later")
    return person


async def rows(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows as plain tuples, read on the read-only connection."""
    return [tuple(r) for r in await db.read_all(sql, params)]


async def delivered(engine: Engine, key: str, folder: Path) -> str:
    """What the outbox sends a console user now, as their console prints it."""
    out = io.StringIO()
    sender = ConsoleSender(ConsoleChannel(engine, key, out, interactive=False, files=folder))
    worker = OutboxWorker(engine.db, engine.registry, engine.catalogs, engine.settings, [sender])
    while await worker.run_once(sender):
        pass
    return out.getvalue()
