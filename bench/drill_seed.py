"""What the drill's database holds before the web process starts: the crowd, two events and
reminders that fall due during the drill, written through the project's own storage code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from handlers.event_notices import REMINDER
from storage import events
from storage import outbox as rows
from storage.clock import to_db
from storage.database import Database
from storage.events import Text
from tests.event_fixtures import add_event
from tests.people import add_people, crowd

REMINDER_OFFSET = timedelta(hours=2)  # EVENT_REMINDERS of the web process
SIGNUP_TITLE = "Drill community meeting"
REMINDER_TITLE = "Drill summit rehearsal"


@dataclass(frozen=True)
class Seeded:
    """What was written: the events and who should get what."""

    signup_event: int
    reminder_event: int
    crowd: list[str]  # user keys of the announcement's seeded recipients
    reminders: dict[int, str]  # outbox row id -> recipient of each reminder that falls due
    reminders_due: datetime


async def seed(
    path: Path,
    *,
    telegram: int,
    whatsapp: int,
    seats: int,
    reminders: int,
    reminders_after: float,
    now: datetime,
) -> Seeded:
    """The crowd (at the main menu, inside WhatsApp's window), a small event for the sign-ups
    (in three days), and one starting two hours and `reminders_after` seconds from now, with
    `reminders` seeded members registered for it and their reminders queued as a sign-up
    queues them."""
    people = crowd(telegram=telegram, whatsapp=whatsapp)
    db = await Database.open(path)
    try:
        await add_people(db, people, now)
        signup = await add_event(
            db,
            start=(now + timedelta(days=3)).replace(microsecond=0),
            capacity=seats,
            texts={"en": Text(SIGNUP_TITLE, "An evening with the consulate.")},
        )
        start = now + REMINDER_OFFSET + timedelta(seconds=reminders_after)
        rehearsal = await add_event(
            db,
            start=start,
            capacity=None,
            texts={"en": Text(REMINDER_TITLE, "The programme of the Diaspora Summit.")},
        )
        queued: dict[int, str] = {}
        async with db.transaction() as tx:
            for person in people[:reminders]:
                reg = await events.register(tx, rehearsal, person.key, 1, now)
                assert reg is not None and reg.status == "confirmed"
                stamp = to_db(start)
                row = await rows.enqueue(
                    tx,
                    person.key,
                    REMINDER,
                    {"registration": reg.id, "start": stamp},
                    lane="direct",
                    now=now,
                    key=f"event-reminder:{reg.id}:{int(REMINDER_OFFSET.total_seconds())}:{stamp}",
                    not_before=start - REMINDER_OFFSET,
                )
                assert row is not None
                queued[row] = person.key
    finally:
        await db.close()
    return Seeded(signup, rehearsal, [p.key for p in people], queued, start - REMINDER_OFFSET)
