"""Events for members: finding, signing up, the waitlist, cancelling, reminders, files, links."""

from __future__ import annotations

import asyncio
import io
import re
import struct
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from bot.config import Settings
from bot.console import ConsoleChannel, ConsoleSender
from bot.engine import Engine
from bot.i18n import Catalogs
from bot.messages import Attachment
from bot.outbox import OutboxWorker
from handlers import build_registry, event_demo, event_files, event_views
from storage import events
from storage.clock import to_db, utcnow
from storage.database import Database
from storage.events import Text
from tests.event_fixtures import add_event, local, member, rows
from tests.harness import Chat


def numbers(text: str) -> list[int]:
    """The whole numbers in a text."""
    return [int(n) for n in re.findall(r"\d+", text)]


async def test_the_list_puts_the_members_country_and_online_first_five_at_a_time(
    chat: Callable[..., Chat], db: Database
) -> None:
    soon = utcnow() + timedelta(days=1)
    ids = {}
    for n in range(7):  # seven in Greece, sooner than the Italian and online ones
        ids[f"gr{n}"] = await add_event(
            db,
            start=soon + timedelta(hours=n),
            country="GR",
            city="Athens",
            texts={"en": Text(f"Athens {n}")},
        )
    ids["it"] = await add_event(db, start=soon + timedelta(days=5), texts={"en": Text("Rome")})
    ids["web"] = await add_event(
        db,
        start=soon + timedelta(days=6),
        country=None,
        city=None,
        online_url="https://meet.example.org/x",
        texts={"en": Text("Online")},
    )
    await add_event(db, status="draft", texts={"en": Text("Draft")})
    await add_event(db, status="cancelled", texts={"en": Text("Cancelled one")})
    await add_event(db, start=utcnow() - timedelta(days=1), texts={"en": Text("Past")})

    person = await member(chat, "telegram:8001")
    await person.send("/settings")
    await person.press("Profile")
    await person.press("Italy")
    await person.press("Skip")
    await person.send("/events")
    assert person.last.title == "Upcoming events"
    assert person.labels[:5] == ["Rome", "Online", "Athens 0", "Athens 1", "Athens 2"]
    assert "Events 1–5 of 9." in person.last.text
    assert "Online: https://meet.example.org/x" in person.last.text
    assert "Draft" not in person.text and "Cancelled one" not in person.text
    assert "Past" not in person.text
    await person.press("More events")
    assert person.labels[:4] == ["Athens 3", "Athens 4", "Athens 5", "Athens 6"]
    assert "More events" not in person.labels
    assert "Events 6–9 of 9." in person.last.text


async def test_the_card_shows_date_place_seats_and_the_members_own_time(
    chat: Callable[..., Chat], db: Database
) -> None:
    event = await add_event(db, start=local("2030-03-29 18:30", "Europe/Rome"), capacity=40)
    person = await member(chat, "telegram:8002")
    await person.send("/settings")
    await person.press("Time zone")
    await person.send("America/New_York")
    await person.press(f"event:{event}")
    card = person.last
    assert card.title == "Meeting in Milan"
    assert (
        "When: Fri, Mar 29, 2030, 6:30\u202fPM – 8:30\u202fPM, Central European Time" in card.text
    )
    assert "Your time: Fri, Mar 29, 2030, 1:30\u202fPM, Eastern Time" in card.text
    assert "Place: venue to be announced, Milano, Italy" in card.text
    assert "40 seats left" in card.text
    assert person.labels[0] == "Sign up"


async def test_sign_up_with_guests_asks_consent_first_and_gives_a_code_and_an_ics(
    chat: Callable[..., Chat], db: Database, engine: Engine
) -> None:
    event = await add_event(db, capacity=10)
    person = await member(chat, "telegram:8003", agree=False)
    await person.press(f"event:{event}")
    await person.press("Sign up")
    assert person.last.title == "Privacy notice"
    await person.press("I agree")
    assert person.last.text.startswith("How many guests will you bring?")
    for bad in ("two", "-1", "4", "2.5", "9" * 40):
        await person.send(bad)
        assert person.replies[0].text == "Please type a whole number from 0 to 3."
    assert await rows(db, "SELECT count(*) FROM registrations") == [(0,)]
    await person.send("2")
    confirmation = person.replies[0].text
    assert confirmation.startswith("You are signed up for Meeting in Milan.")
    [code] = re.findall(r"[A-Z0-9]{3}-[A-Z0-9]{3}", confirmation)
    [file] = [r.attachment for r in person.replies if isinstance(r.attachment, Attachment)]
    assert (file.filename, file.media_type) == (f"event-{event}.ics", "text/calendar")
    assert "Seats: 3 (you and 2 guests)" in person.last.text
    stored = await rows(db, "SELECT user_key, seats, status, code FROM registrations")
    assert stored == [("telegram:8003", 3, "confirmed", code.replace("-", ""))]
    await person.press(f"event:{event}")
    assert "7 seats left" in person.last.text
    assert "Sign up" not in person.labels and "My registration" in person.labels


async def test_not_now_at_the_privacy_notice_goes_back_to_the_event(
    chat: Callable[..., Chat], db: Database, catalogs: Catalogs
) -> None:
    event = await add_event(db)
    person = await member(chat, "telegram:8010", agree=False)
    await person.press(f"event:{event}")
    await person.press("Sign up")
    await person.press("Not now")
    assert person.replies[0].text.startswith("Understood: nothing was stored.")
    assert person.last.title == "Meeting in Milan" and "Sign up" in person.labels
    assert await rows(db, "SELECT count(*) FROM registrations") == [(0,)]
    await person.press("Sign up")
    await person.press("I agree")  # asked again, and agreeing still goes on with the sign-up
    assert person.last.text.startswith("How many guests will you bring?")
    it = catalogs.translator("it")
    italian = await member(chat, "telegram:8011", agree=False, language="Italiano")
    await italian.press(f"event:{event}")
    await italian.press(it.t("Sign up"))
    await italian.press(it.t("Not now"))
    assert italian.last.title == "Incontro a Milano"


async def test_a_double_clicked_sign_up_books_once(
    chat: Callable[..., Chat], db: Database, engine: Engine
) -> None:
    event = await add_event(db, capacity=10)
    person = await member(chat, "telegram:8004")
    await person.press(f"event:{event}")
    button = person.button("Sign up")
    assert button is not None
    await person.press(button.payload)
    await person.send("0")
    assert person.replies[0].text.startswith("You are signed up")
    await person.press(button.payload)  # the same button again
    assert person.replies[0].text == "That menu is no longer active. Here is where we are now."
    await person.press(f"event:{event}")
    await person.press("signup")  # a forged or remembered step payload
    await person.send("0")
    assert await rows(db, "SELECT count(*) FROM registrations") == [(1,)]
    async with db.transaction() as tx:  # and the constraint holds below the flows too
        assert await events.register(tx, event, "telegram:8004", 1, utcnow()) is None


async def test_two_hundred_members_at_once_for_fifty_seats(
    chat: Callable[..., Chat], db: Database
) -> None:
    event = await add_event(db, capacity=50)
    people = await asyncio.gather(*(member(chat, f"telegram:{90000 + i}") for i in range(200)))

    async def sign_up(person: Chat) -> str:
        await person.press(f"event:{event}")
        await person.press("Sign up")
        await person.send("0")
        return person.replies[0].text

    answers = await asyncio.gather(*(sign_up(p) for p in people))
    by_user = dict(zip((p.user for p in people), answers, strict=True))
    regs = await rows(
        db,
        "SELECT user_key, status, seats FROM registrations WHERE event_id = ? ORDER BY id",
        (event,),
    )
    assert len(regs) == 200 and len({r[0] for r in regs}) == 200  # nobody twice
    assert [r[1] for r in regs] == ["confirmed"] * 50 + ["waitlisted"] * 150  # in order
    assert sum(r[2] for r in regs if r[1] == "confirmed") == 50
    for place, (key, _, _) in enumerate(regs[50:], start=1):
        assert by_user[key].startswith("Meeting in Milan is full, so you are on the waitlist")
        assert f"number {place}." in by_user[key]
    assert all(by_user[key].startswith("You are signed up") for key, _, _ in regs[:50])


async def test_cancelling_promotes_the_first_in_line_and_tells_them(
    chat: Callable[..., Chat], db: Database, engine: Engine, tmp_path: Path
) -> None:
    event = await add_event(db, capacity=2)
    first = await member(chat, "console:first")
    pair = await member(chat, "console:pair")
    single = await member(chat, "console:single")
    for person, guests in ((first, "1"), (pair, "1"), (single, "0")):
        await person.press(f"event:{event}")
        await person.press("signup")  # "Sign up", then "Join the waitlist" once full
        await person.send(guests)
    assert "on the waitlist, number 1" in pair.replies[0].text
    assert "on the waitlist, number 2" in single.replies[0].text
    await first.send("/registrations")
    await first.press("Meeting in Milan")
    await first.press("Cancel my registration")
    assert first.last.text == (
        "Cancel your registration for Meeting in Milan? Your 2 seats will go to the next people"
        " on the waitlist."
    )
    await first.press("Yes, cancel my registration")
    assert first.replies[0].text == "Your registration for Meeting in Milan is cancelled."
    await single.send("/registrations")
    await single.press("Meeting in Milan")
    await single.press("Cancel my registration")  # waiting: no seat to hand on
    assert single.last.text == "Leave the waitlist for Meeting in Milan?"
    await single.press("No, keep it")
    statuses = await rows(db, "SELECT user_key, status FROM registrations ORDER BY id")
    assert statuses == [
        ("console:first", "cancelled"),
        ("console:pair", "confirmed"),  # the first in line gets the two seats freed
        ("console:single", "waitlisted"),
    ]
    notices = await rows(
        db, "SELECT recipient, renderer, lane FROM outbox WHERE renderer != ?", ("events.reminder",)
    )
    assert notices == [("console:pair", "events.promoted", "direct")]

    out = io.StringIO()
    sender = ConsoleSender(
        ConsoleChannel(engine, "console:pair", out, interactive=False, files=tmp_path / "files")
    )
    worker = OutboxWorker(db, engine.registry, engine.catalogs, engine.settings, [sender])
    assert await worker.run_once(sender)
    told = out.getvalue()
    assert "🔔" in told and "*You have a seat*" in told
    assert "a seat has freed up and you are now signed up for Meeting in Milan" in told
    assert "Seats: 2 (you and 1 guest)" in told
    assert (tmp_path / "files" / f"event-{event}.ics").is_file()  # the invitation too
    assert not await worker.run_once(sender)  # once
    await pair.send("/registrations")
    assert "You are signed up. Your check-in code:" in pair.last.text


async def test_a_party_larger_than_the_seats_left_is_told_so_and_waits_in_line(
    chat: Callable[..., Chat], db: Database, catalogs: Catalogs
) -> None:
    event = await add_event(db, capacity=4)
    first = await member(chat, "telegram:8101")
    await first.press(f"event:{event}")
    await first.press("Sign up")
    assert "left" not in first.last.text  # 4 seats: the largest party (you and 3) fits
    await first.send("2")
    newcomer = await member(chat, "telegram:8102")
    await newcomer.press(f"event:{event}")
    await newcomer.press("Sign up")
    assert newcomer.last.text.endswith("Only 1 seat is left: a larger party goes on the waitlist.")
    await newcomer.send("3")
    told = newcomer.replies[0].text
    assert told.startswith(
        "There are not enough seats left for your party of 4 (only 1 seat left), so you are on"
        " the waitlist, number 1."
    )
    assert "is full" not in told
    single = await member(chat, "telegram:8103", language="Italiano")
    it = catalogs.translator("it")
    await single.press(f"event:{event}")
    await single.press(it.t("Sign up"))
    assert single.last.text.endswith(
        it.ngettext(
            "Only {n} seat is left: a larger party goes on the waitlist.",
            "Only {n} seats are left: a larger party goes on the waitlist.",
            1,
        )
    )
    await single.send("0")  # one seat, one person: it fits, ahead of the larger party
    assert single.replies[0].text.startswith(
        it.t(
            "You are signed up for {title}. Show your check-in code at the door: {code}",
            title="Incontro a Milano",
            code="",
        ).rstrip()
    )
    late = await member(chat, "telegram:8104", language="Italiano")
    await late.press(f"event:{event}")
    await late.press(it.t("Join the waitlist"))
    await late.send("0")
    assert late.replies[0].text.startswith("Incontro a Milano è al completo")  # truly full now
    assert "numero 2" in late.replies[0].text
    assert await rows(db, "SELECT user_key, seats, status FROM registrations ORDER BY id") == [
        ("telegram:8101", 3, "confirmed"),
        ("telegram:8102", 4, "waitlisted"),
        ("telegram:8103", 1, "confirmed"),
        ("telegram:8104", 1, "waitlisted"),
    ]


async def test_a_party_that_does_not_fit_is_told_in_greek(
    chat: Callable[..., Chat], db: Database, catalogs: Catalogs
) -> None:
    event = await add_event(db, capacity=2)
    el = catalogs.translator("el")
    person = await member(chat, "telegram:8105", language="Ελληνικά")
    await person.press(f"event:{event}")
    await person.press(el.t("Sign up"))
    prompt = el.ngettext(
        "Only {n} seat is left: a larger party goes on the waitlist.",
        "Only {n} seats are left: a larger party goes on the waitlist.",
        2,
    )
    assert prompt != "Only 2 seats are left: a larger party goes on the waitlist."
    assert person.last.text.endswith(prompt)
    await person.send("2")
    assert person.replies[0].text == el.ngettext(
        "There are not enough seats left for your party of {seats} (only {n} seat left), so"
        " you are on the waitlist, number {place}. We will tell you as soon as enough seats"
        " free up.",
        "There are not enough seats left for your party of {seats} (only {n} seats left), so"
        " you are on the waitlist, number {place}. We will tell you as soon as enough seats"
        " free up.",
        2,
        seats=3,
        place=1,
    )


async def test_sign_up_after_the_deadline_or_for_a_cancelled_event_gets_a_clear_reply(
    chat: Callable[..., Chat], db: Database
) -> None:
    closed = await add_event(db, deadline_at=utcnow() - timedelta(hours=1))
    cancelled = await add_event(db, status="cancelled")
    started = await add_event(db, start=utcnow() - timedelta(minutes=5))
    person = await member(chat, "telegram:8006")
    await person.press(f"event:{closed}")
    assert "Sign-up for this event closed on " in person.last.text
    assert "Sign up" not in person.labels
    await person.press(f"event:{cancelled}")
    assert "This event has been cancelled." in person.last.text
    assert "Sign up" not in person.labels
    await person.press(f"event:{started}")
    assert "This event has already started, so sign-up is closed." in person.last.text

    later = await add_event(db)  # open when the member starts, closed when they answer
    await person.press(f"event:{later}")
    await person.press("Sign up")
    async with db.transaction() as tx:
        await events.set_status(tx, later, "cancelled", utcnow())
    await person.send("1")
    assert person.replies[0].text == "This event has been cancelled."
    assert await rows(db, "SELECT count(*) FROM registrations") == [(0,)]
    await person.press("event:99999")
    assert person.replies[0].text == "I could not find that event. Here are the upcoming ones."
    draft = await add_event(db, status="draft")
    await person.press(f"event:{draft}")  # drafts are for admins only
    assert person.replies[0].text == "I could not find that event. Here are the upcoming ones."


@pytest.mark.parametrize(
    ("locale", "before", "after", "new_york"),
    [
        ("sq", "sht, 28 mar 2026, 18:30", "die, 29 mar 2026, 18:30", "12:30"),
        ("it", "sab 28 mar 2026, 18:30", "dom 29 mar 2026, 18:30", "12:30"),
        ("el", "Σάβ 28 Μαρ 2026, 6:30\u202fμ.μ.", "Κυρ 29 Μαρ 2026, 6:30\u202fμ.μ.", "12:30"),
        ("en", "Sat, Mar 28, 2026, 6:30\u202fPM", "Sun, Mar 29, 2026, 6:30\u202fPM", "12:30"),
    ],
)
async def test_dates_across_the_daylight_saving_change_in_each_language(
    db: Database, catalogs: Catalogs, locale: str, before: str, after: str, new_york: str
) -> None:
    # Italy moves its clocks on 29 March 2026, New York on 8 March: 18:30 in Rome is 13:30 in
    # New York on the 28th, and 12:30 on the 29th.
    saturday = await add_event(db, start=local("2026-03-28 18:30", "Europe/Rome"))
    sunday = await add_event(db, start=local("2026-03-29 18:30", "Europe/Rome"))
    async with db.transaction() as tx:
        first, second = await events.get(tx, saturday), await events.get(tx, sunday)
    assert first is not None and second is not None
    assert first.starts_at == datetime(2026, 3, 28, 17, 30, tzinfo=UTC)
    assert second.starts_at == datetime(2026, 3, 29, 16, 30, tzinfo=UTC)
    i18n = catalogs.translator(locale)
    assert before in event_views.when(i18n, first)
    assert after in event_views.when(i18n, second)
    mine = event_views.when(i18n, second, "America/New_York").split("\n")[1]
    assert new_york in mine and "29" in mine
    assert i18n.t("Your time: {start}", start="") in mine


async def test_an_ics_parsed_back_has_the_right_start_in_utc(
    db: Database, catalogs: Catalogs
) -> None:
    event_id = await add_event(
        db, start=local("2026-10-25 18:30", "Europe/Athens"), zone="Europe/Athens", venue="Hall A"
    )  # the day Greece turns its clocks back: 18:30 is UTC+2, not +3
    async with db.transaction() as tx:
        event = await events.get(tx, event_id)
    assert event is not None
    data = event_files.ics(event_files.invitation_args(catalogs.translator("it"), event))
    [parsed] = icalendar.Calendar.from_ical(data).events
    start, end = parsed.start, parsed.end
    assert isinstance(start, datetime) and isinstance(end, datetime)
    assert start.astimezone(UTC) == datetime(2026, 10, 25, 16, 30, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 10, 25, 18, 30, tzinfo=UTC)
    assert str(start.tzinfo) == "Europe/Athens"
    assert parsed["SUMMARY"] == "Incontro a Milano"
    assert parsed["LOCATION"] == "Hall A, Milano, Italia"
    assert b"BEGIN:VTIMEZONE" in data and b"TZID:Europe/Athens" in data


async def test_reminders_survive_a_restart_go_once_and_never_after_cancelling(
    db_path: Path, catalogs: Catalogs, settings: Settings, tmp_path: Path
) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    db = await Database.open(db_path)
    try:
        engine = Engine(db, build_registry(), catalogs, settings)
        event = await add_event(db, start=start)
        kept = await member(lambda k, hint: Chat(engine, k, hint), "console:kept")
        gone = await member(lambda k, hint: Chat(engine, k, hint), "console:gone")
        for person in (kept, gone):
            await person.press(f"event:{event}")
            await person.press("Sign up")
            await person.send("0")
        await gone.send("/registrations")
        await gone.press("Meeting in Milan")
        await gone.press("Cancel my registration")
        await gone.press("Yes, cancel my registration")
        queued = await rows(
            db, "SELECT recipient, not_before FROM outbox ORDER BY recipient, not_before"
        )
    finally:
        await db.close()
    day, two_hours = start - timedelta(days=1), start - timedelta(hours=2)
    stamp = "%Y-%m-%dT%H:%M:%S.%fZ"
    assert queued == [
        ("console:gone", day.strftime(stamp)),
        ("console:gone", two_hours.strftime(stamp)),
        ("console:kept", day.strftime(stamp)),
        ("console:kept", two_hours.strftime(stamp)),
    ]

    async def deliver(at: datetime, user: str) -> str:
        """A fresh process at a given time: the outbox worker sends what is due."""
        db = await Database.open(db_path)
        try:
            engine = Engine(db, build_registry(), catalogs, settings)
            out = io.StringIO()
            channel = ConsoleChannel(engine, user, out, interactive=False, files=tmp_path)
            sender = ConsoleSender(channel)
            worker = OutboxWorker(db, engine.registry, catalogs, settings, [sender], lambda: at)
            while await worker.run_once(sender):
                pass
        finally:
            await db.close()
        return out.getvalue()

    told = await deliver(day + timedelta(minutes=1), "console:kept")
    assert told.count("*Reminder: Meeting in Milan*") == 1
    assert "It starts in 1 day." in told and "Your check-in code: " in told
    assert await deliver(day + timedelta(minutes=2), "console:kept") == ""  # never twice
    later = await deliver(two_hours, "console:kept")
    assert later.count("*Reminder: Meeting in Milan*") == 1
    assert "It starts in 2 hours." in later  # the two reminders do not read the same
    assert await deliver(two_hours + timedelta(minutes=5), "console:gone") == ""
    db = await Database.open(db_path)
    try:
        final = await rows(db, "SELECT recipient, status, reason FROM outbox ORDER BY id")
    finally:
        await db.close()
    assert sorted(final) == [
        ("console:gone", "skipped", "nothing to send any more"),
        ("console:gone", "skipped", "nothing to send any more"),
        ("console:kept", "sent", None),
        ("console:kept", "sent", None),
    ]


async def test_reminders_already_past_are_not_queued(
    chat: Callable[..., Chat], db: Database, engine: Engine
) -> None:
    event = await add_event(db, start=utcnow() + timedelta(hours=5))
    person = await member(chat, "telegram:8008")
    await person.press(f"event:{event}")
    await person.press("Sign up")
    await person.send("0")
    assert len(await rows(db, "SELECT id FROM outbox")) == 1  # only the two-hour one


async def test_start_deep_link_leads_a_new_user_to_the_event(
    chat: Callable[..., Chat], db: Database
) -> None:
    event = await add_event(db)
    person = chat("telegram:8009", hint="it")
    await person.send(f"/start event-{event}")
    assert person.last.title == "Gjuha · Lingua · Γλώσσα · Language"
    await person.press("English")
    await person.press("Not now")
    assert person.last.title == "Meeting in Milan"
    await person.send(f"/start event-{event}")  # a returning user goes straight there
    assert [r.title for r in person.replies] == ["Meeting in Milan"]


async def test_typed_event_links_work_from_any_step_in_any_language(
    chat: Callable[..., Chat], db: Database
) -> None:
    event = await add_event(db)
    person = chat("whatsapp:+393331234567", hint="it")
    await person.send(f"EVENT {event}")  # a first message from a poster's wa.me link
    await person.press("Italiano")
    await person.press("Non ora")
    assert person.last.title == "Incontro a Milano"
    await person.send("/settings")
    await person.press("Profilo")
    await person.press("Accetto")
    await person.press("Italia")
    await person.send(f"evento #{event}")  # at the city question: a link, not a city
    assert person.last.title == "Incontro a Milano"
    await person.press("Iscriviti")
    await person.send(f"Event {event}")  # at the number of guests
    assert person.last.title == "Incontro a Milano"
    await person.send("EVENT 424242")
    assert person.replies[0].text.startswith("Non ho trovato questo evento.")
    await person.send("EVENTS are nice")  # not a link: the menu's free text
    assert await rows(db, "SELECT city FROM users") == [(None,)]


async def test_registrations_of_others_cannot_be_opened(
    chat: Callable[..., Chat], db: Database
) -> None:
    event = await add_event(db)
    owner = await member(chat, "telegram:8010")
    await owner.press(f"event:{event}")
    await owner.press("Sign up")
    await owner.send("0")
    [(reg_id,)] = await rows(db, "SELECT id FROM registrations")
    other = await member(chat, "telegram:8011")
    await other.press(f"registration:{reg_id}")
    assert other.replies[0].text == "I could not find that registration."
    assert "Your check-in code" not in other.text
    await other.press("registration:x")
    assert other.replies[0].text == "I could not find that registration."


async def test_the_qr_image_and_the_calendar_file_again(
    chat: Callable[..., Chat], db: Database
) -> None:
    event = await add_event(db)
    person = await member(chat, "telegram:8012")
    await person.press(f"event:{event}")
    await person.press("Sign up")
    await person.send("0")
    await person.press("Check-in code as a QR image")
    qr = person.replies[0]
    assert isinstance(qr.attachment, Attachment)
    assert qr.attachment.media_type == "image/png"
    assert qr.attachment.data.startswith(b"\x89PNG\r\n\x1a\n")
    (width,) = struct.unpack(">I", qr.attachment.data[16:20])  # the header's width, in pixels
    assert width >= (21 + 2 * 4) * 10  # a full QR code (21 modules or more), never a Micro QR
    assert qr.text.startswith("Show this at the door: ")
    await person.press("Add to calendar")
    assert isinstance(person.replies[0].attachment, Attachment)
    assert person.replies[0].attachment.filename == f"event-{event}.ics"
    first = icalendar.Calendar.from_ical(person.replies[0].attachment.data)
    [entry] = first.walk("VEVENT")
    async with db.transaction() as tx:  # an edit later: the file's SEQUENCE grows with it
        await tx.execute(
            "UPDATE events SET updated_at = ? WHERE id = ?",
            (to_db(utcnow() + timedelta(minutes=5)), event),
        )
    await person.press("Add to calendar")
    assert isinstance(person.replies[0].attachment, Attachment)
    [later] = icalendar.Calendar.from_ical(person.replies[0].attachment.data).walk("VEVENT")
    assert later["UID"] == entry["UID"]
    assert int(later.decoded("SEQUENCE")) > int(entry.decoded("SEQUENCE")) >= 0


async def test_the_demo_seeds_marked_samples_dated_from_today(db: Database) -> None:
    async with db.transaction() as tx:
        await event_demo.seed(tx)
        found, total = await events.upcoming(tx, utcnow(), None, 0, 10)
    assert total == 4 and all(e.sample for e in found)
    cities = [(e.city, e.country, e.time_zone) for e in found]
    assert cities == [
        ("Milano", "IT", "Europe/Rome"),
        ("Athens", "GR", "Europe/Athens"),
        ("Boston", "US", "America/New_York"),
        ("Tirana", "AL", "Europe/Tirane"),
    ]
    assert found[-1].text("sq").title == "Samiti i Diasporës"
    assert all(e.venue is None for e in found)  # no invented address
    assert all(utcnow() < e.starts_at < utcnow() + timedelta(days=40) for e in found)
    for locale in ("sq", "it", "el", "en"):
        assert all(e.text(locale).description for e in found)


def test_settings_for_guests_and_reminders() -> None:
    from bot.config import ConfigError, load

    loaded = load({"EVENT_MAX_GUESTS": "5", "EVENT_REMINDERS": "2h, 3d,30m"}, dotenv=None)
    assert loaded.event_max_guests == 5
    assert loaded.event_reminders == (
        timedelta(days=3),
        timedelta(hours=2),
        timedelta(minutes=30),
    )
    assert load({"EVENT_REMINDERS": "none"}, dotenv=None).event_reminders == ()
    for name, value in (("EVENT_MAX_GUESTS", "-1"), ("EVENT_REMINDERS", "1 week")):
        with pytest.raises(ConfigError, match=name):
            load({name: value}, dotenv=None)


async def test_no_guests_allowed_signs_up_at_once(
    db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    engine = Engine(db, build_registry(), catalogs, replace(settings, event_max_guests=0))
    event = await add_event(db)
    person = await member(lambda k, hint: Chat(engine, k, hint), "telegram:8013")
    await person.press(f"event:{event}")
    await person.press("Sign up")
    assert person.replies[0].text.startswith("You are signed up for Meeting in Milan.")


def test_the_console_seeds_samples_on_a_new_database_only(tmp_path: Path) -> None:
    from tests.test_cli import run

    seeded = run("--db", str(tmp_path / "a.sqlite3"), stdin="4\n2\n/events\n", cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert "[Sample] Meeting with the Albanian community in Milan" in seeded.stdout
    assert "[Sample] Diaspora Summit" in seeded.stdout
    bare = run(
        "--db", str(tmp_path / "b.sqlite3"), "--no-demo", stdin="4\n2\n/events\n", cwd=tmp_path
    )
    assert "There are no upcoming events at the moment." in bare.stdout
    again = run("--db", str(tmp_path / "a.sqlite3"), stdin="/events\n", cwd=tmp_path)
    assert "Events 1–4 of 4." in again.stdout  # an existing database is not seeded again
