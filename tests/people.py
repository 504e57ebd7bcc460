"""People for broadcast tests: channels, languages, countries and WhatsApp windows in turn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import LOCALES
from bot.state import State
from storage.clock import to_db
from storage.database import Database

COUNTRIES = ("IT", "GR", "US", "AL", "DE")


@dataclass(frozen=True, slots=True)
class Person:
    """One user as a test stores them."""

    key: str
    locale: str
    country: str
    inside_window: bool = True
    announcements: bool = True
    opted_out: bool = False
    unreachable: bool = False

    @property
    def channel(self) -> str:
        """`telegram` or `whatsapp`."""
        return self.key.partition(":")[0]

    @property
    def reachable(self) -> bool:
        """Whether a broadcast to everyone with announcements on includes them."""
        return self.announcements and not self.opted_out and not self.unreachable


def crowd(telegram: int, whatsapp: int, outside_every: int = 0, first: int = 0) -> list[Person]:
    """Users in both channels; languages and countries in turn; every n-th WhatsApp user
    last wrote two days ago (outside the 24-hour window)."""
    people = []
    for index in range(telegram + whatsapp):
        if index < telegram:
            key = f"telegram:{700_000 + first + index}"
            inside = True
        else:
            key = f"whatsapp:+3933{first + index:08d}"
            inside = not outside_every or (index - telegram) % outside_every != 0
        people.append(
            Person(key, LOCALES[index % 4], COUNTRIES[index % len(COUNTRIES)], inside_window=inside)
        )
    return people


async def add_people(db: Database, people: list[Person], now: datetime) -> None:
    """Store them as if each had written to the bot (inside the window: an hour ago) and been
    left at the main menu (one statement for all: thousands of people take a moment)."""
    stamp = to_db(now)
    menu = State("menu", "main").dumps()
    async with db.transaction() as tx:
        await tx.execute_many(
            "INSERT INTO users (key, channel, locale, country, announcements, opted_out_at,"
            " unreachable_at, unreachable_reason, last_inbound_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    p.key,
                    p.channel,
                    p.locale,
                    p.country,
                    int(p.announcements),
                    stamp if p.opted_out else None,
                    stamp if p.unreachable else None,
                    "telegram: blocked by the user" if p.unreachable else None,
                    to_db(now - (timedelta(hours=1) if p.inside_window else timedelta(days=2))),
                    stamp,
                )
                for p in people
            ],
        )
        await tx.execute_many(
            "INSERT INTO conversations (user_key, state, updated_at) VALUES (?, ?, ?)",
            [(p.key, menu, stamp) for p in people],
        )


async def queued(db: Database, batch: str = "broadcast:1") -> int:
    """How many outbox rows a broadcast has."""
    row = await db.read_one("SELECT count(*) FROM outbox WHERE batch = ?", (batch,))
    assert row is not None
    return int(row[0])
