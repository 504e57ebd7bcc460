"""A member with some of every kind of personal data, made through the real flows, and the staff
who saw it; and a search of every column of every table for what identifies them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storage import whatsapp
from storage.clock import utcnow
from storage.database import Database
from tests.event_fixtures import add_event
from tests.harness import Chat

ADMIN = "telegram:1"  # ADMINS in the test settings (tests/conftest.py)
OFFICER = "telegram:2"  # OFFICERS


@dataclass(frozen=True, slots=True)
class Person:
    """What identifies the rich member wherever a copy of their data might be."""

    key: str = "whatsapp:+393331234567"
    name: str = "Arta Hoxha"
    email: str = "arta.hoxha@example.org"
    phone: str = "+393339876543"  # the contact of her second idea (E.164, as stored)

    @property
    def marks(self) -> tuple[str, ...]:
        """Strings that must not be found anywhere once she is erased."""
        return (self.key, self.key.partition(":")[2], self.name, "Hoxha", self.email, self.phone)


async def onboard(chat: Callable[..., Chat], key: str, *, country: str | None = None) -> Chat:
    """A user who chose English and agreed; the profile is skipped unless a country is given."""
    user = chat(key, hint="en")
    await user.send("/start")
    await user.press("en")
    await user.press("agree")
    if country is None:
        await user.press("skip")
    else:
        await user.press(country)
        await user.send("Milano")
    return user


async def idea(user: Chat, title: str, contact: str) -> None:
    """Submit a project idea with a typed contact (an e-mail address or a phone number)."""
    await user.send("/newidea")
    await user.press("agriculture")
    await user.press("offer")
    await user.press("investment")
    await user.send(title)
    await user.send("A cooperative that presses and exports olive oil from family farms.")
    await user.press("done")
    await user.press("vlore")
    await user.send(contact)
    await user.press("submit")
    assert "Its reference is IDEA-" in user.replies[0].text, user.text


async def rich_member(chat: Callable[..., Chat], db: Database, person: Person) -> int:
    """A WhatsApp member with a profile, a seat at a full event (someone waits behind her), a
    question naming her that an officer answered, two ideas (e-mail, phone) an admin reviewed,
    an unfinished idea, a skills profile, a vote, announcements off, messages waiting for her
    and a delivery status; returns the event's id."""
    event = await add_event(db, capacity=1)
    member = await onboard(chat, person.key, country="IT")
    await member.press(f"event:{event}")
    await member.press("signup")
    await member.send("0")
    assert "You are signed up" in member.replies[0].text, member.text
    waiting = await onboard(chat, "console:waiting")
    await waiting.press(f"event:{event}")
    await waiting.press("signup")
    await waiting.send("0")
    assert "waitlist, number 1" in waiting.replies[0].text, waiting.text

    await member.send("/ask")
    await member.send(f"My name is {person.name} and my passport expired in Milan. What now?")
    await member.press("home")
    await member.press("send")
    officer = await onboard(chat, OFFICER)
    await officer.press("officer-question:1")
    await officer.press("Claim it")
    await officer.press("Answer")
    await officer.send(f"Dear {person.name}, please book an appointment on e-Albania.")

    await idea(member, "Olive oil cooperative in Vlorë", person.email)
    await idea(member, "Honey from the mountains of Korçë", person.phone)
    admin = await onboard(chat, ADMIN)
    await admin.press("review-idea:1")
    assert person.email in admin.last.text  # the admin saw her contact
    await admin.press("Change the status")
    await admin.press("under review")
    await admin.send("We are reading it.")
    await member.send("/newidea")
    await member.press("research")  # an unfinished idea, kept as a draft

    await member.send("/skills")
    await member.press("create")
    await member.send("Agronomist")
    await member.press("agriculture")
    await member.send("12")
    await member.press("lang:it")
    await member.press("done")
    await member.press("way:mentor")
    await member.press("done")
    await member.send("menu")
    await member.send("how do I renew my passport")
    await member.press("Yes, it helped")
    await member.send("/settings")
    await member.press("Turn announcements off")
    async with db.transaction() as tx:
        await whatsapp.record(tx, "SM" + "1" * 32, person.key, "delivered", None, utcnow())
    return event


async def tables(db: Database) -> list[str]:
    """Every table of the schema."""
    rows = await db.read_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return [str(r["name"]) for r in rows]


async def found_anywhere(db: Database, marks: tuple[str, ...]) -> list[str]:
    """`table.column: mark` for every column of every table whose text contains a mark."""
    hits = []
    for table in await tables(db):
        columns = [c["name"] for c in await db.read_all(f"PRAGMA table_info({table})")]
        for column in columns:
            for mark in marks:
                row = await db.read_one(
                    f"SELECT count(*) FROM {table} WHERE instr(CAST({column} AS TEXT), ?) > 0",
                    (mark,),
                )
                if row is not None and row[0]:
                    hits.append(f"{table}.{column}: {mark}")
    return hits
