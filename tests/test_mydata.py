"""/mydata: every table with personal data is covered (checked against the schema), shown in the
user's language, and attached as JSON where the channel carries files."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from bot.i18n import Catalogs
from bot.messages import Attachment
from handlers.holdings import holdings, mismatches
from handlers.mydata import collect
from handlers.places import zone_label
from storage.clock import to_db
from storage.database import Database
from tests.event_fixtures import add_event, local
from tests.event_fixtures import member as event_member
from tests.harness import Chat
from tests.personal_fixtures import ADMIN, OFFICER, Person, onboard, rich_member


async def test_every_table_with_a_user_key_is_shown_and_erased(db: Database) -> None:
    assert await mismatches(db.reader()) == []


async def test_a_new_table_with_a_user_key_is_caught(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY,"
            " writer TEXT REFERENCES users(key) ON DELETE SET NULL, body TEXT)"
        )
        await tx.execute("ALTER TABLE ideas ADD COLUMN mentor TEXT REFERENCES users(key)")
        problems = await mismatches(tx)
    assert problems == [
        "ideas: ['mentor', 'user_key'] reference users(key), listed: ['user_key']",
        "notes: ['writer'] reference users(key), listed: []",
    ]


async def test_mydata_shows_everything_in_readable_text_on_whatsapp(
    chat: Callable[..., Chat], db: Database
) -> None:
    person = Person()
    await rich_member(chat, db, person)
    member = chat(person.key, hint="en")
    await member.send("/mydata")
    titles = [r.title for r in member.replies]
    for title in (
        "Your data",
        "Profile and settings",
        "Event registrations",
        "Questions to consular officers",
        "Votes on consular answers",
        "Project ideas",
        "Unfinished project idea",
        "Skills profile",
        "Messages to you",
        "WhatsApp delivery statuses",
        "Unfinished conversation",
        "Recent messages",
    ):
        assert title in titles, titles
    text = member.text
    for part in (
        f"Your key: {person.key}",
        "City: Milano",
        "Announcements: off",
        "Privacy notice: version 2026-12 agreed on ",
        "Meeting in Milan, ",
        "signed up; seats: 1; check-in code: ",
        f"My name is {person.name} and my passport expired",
        "Officer, ",  # the officer's answer, without the officer's key
        person.email,
        person.phone,
        "Title: Honey from the mountains of Korçë",
        "Message from the team: We are reading it.",
        "Profession: Agronomist",
        ": it helped",
        "Waiting to be sent: an event reminder (due ",
        "WhatsApp does not let us send you a file here",
    ):
        assert part in text, part
    assert OFFICER not in text and ADMIN not in text  # staff stay unnamed
    assert all(r.attachment is None for r in member.replies)
    assert member.labels == ["Delete my data", "Main menu"]


async def test_a_registration_shows_the_events_own_clock_and_the_check_in_in_greek(
    chat: Callable[..., Chat], db: Database, catalogs: Catalogs
) -> None:
    boston = "America/New_York"
    start = local("2030-12-18 18:00", boston)  # 23:00 UTC: what a reader without a zone saw
    event = await add_event(db, start=start, zone=boston, city="Boston", country="US")
    member = await event_member(chat, "telegram:6301", language="Ελληνικά")
    await member.press(f"event:{event}")
    await member.press("signup")
    await member.send("0")
    greek = catalogs.translator("el")
    when = greek.datetime(start, boston) + ", " + zone_label(boston, "el")
    row = await db.read_one("SELECT code FROM registrations")
    assert row is not None
    code = str(row["code"])
    facts = {
        "title": "Meeting in Milan",
        "date": when,
        "status": greek.t("signed up"),
        "seats": 1,
        "code": f"{code[:3]}-{code[3:]}",
    }
    template = "{title}, {date}: {status}; seats: {seats}; check-in code: {code}"
    await member.send("/mydata")
    assert greek.t(template, **facts) in member.text
    [line] = [x for x in member.text.splitlines() if x.startswith("Meeting in Milan")]
    assert "6:00\u202fμ.μ." in line and "11:00" not in line  # not UTC

    async with db.transaction() as tx:  # let in at the door five minutes after the start
        await tx.execute(
            "UPDATE registrations SET checked_in_at = ?", (to_db(start + timedelta(minutes=5)),)
        )
    await member.send("/mydata")
    checked = greek.t(template + "; checked in: {checked}", checked="6:05\u202fμ.μ.", **facts)
    assert checked in member.text and "; checked in:" not in checked  # in Greek


async def test_mydata_on_telegram_attaches_the_same_as_json_in_the_users_language(
    chat: Callable[..., Chat], db: Database
) -> None:
    user = chat("telegram:6201", hint="it")
    await user.send("/start")
    await user.press("it")
    await user.press("agree")
    await user.press("IT")
    await user.send("Bari")
    await user.send("/mydata")
    assert user.replies[0].title == "I Suoi dati"
    assert "Città: Bari" in user.text
    [attached] = [r.attachment for r in user.replies if r.attachment is not None]
    assert isinstance(attached, Attachment)
    assert attached.media_type == "application/json"
    assert attached.filename.startswith("my-data-") and attached.filename.endswith(".json")
    data = json.loads(attached.data)
    assert data["key"] == "telegram:6201"
    assert data["privacy_notice_version"] == "2026-12"
    assert set(data["tables"]) == {h.table for h in holdings()}
    [row] = data["tables"]["users"]
    assert (row["city"], row["locale"], row["consent_version"]) == ("Bari", "it", "2026-12")
    assert data["tables"]["processed_messages"]  # the messages that led here


async def test_staff_see_their_staff_records_counted_without_others_data(
    chat: Callable[..., Chat], db: Database
) -> None:
    await rich_member(chat, db, Person())
    officer = await onboard(chat, OFFICER)
    await officer.send("/mydata")
    assert "Your role from the service's configuration (not stored here): consular officer" in (
        officer.text
    )
    assert "You wrote 1 message to members as an officer." in officer.text
    assert "You are handling 1 member's question as an officer." in officer.text
    admin = await onboard(chat, ADMIN)
    async with db.transaction() as tx:
        tables = await collect(tx, ADMIN, "en")
    [change] = tables["idea_status_changes"]
    assert change["status"] == "under_review" and "changed_by" not in change
    await admin.send("/mydata")
    assert "You changed the status of project ideas 1 time as an administrator." in admin.text


async def test_mydata_from_settings_comes_back_to_settings(chat: Callable[..., Chat]) -> None:
    user = await onboard(chat, "telegram:6202")
    await user.send("/settings")
    await user.press("My data")
    assert user.replies[0].title == "Your data"
    await user.send("back")
    assert user.last.title == "Settings"


async def test_mydata_shows_when_messages_were_stopped_and_when_turned_back_on(
    chat: Callable[..., Chat], db: Database
) -> None:
    user = await onboard(chat, "telegram:6203")
    await user.send("STOP")
    await user.send("/mydata")
    assert "Messages we send on our own: stopped on " in user.text
    assert "on again since" not in user.text
    await user.send("START")
    await user.send("/mydata")
    assert "Messages we send on our own: on again since " in user.text
    assert "stopped on" not in user.text
    [attached] = [r.attachment for r in user.replies if r.attachment is not None]
    assert isinstance(attached, Attachment)
    [row] = json.loads(attached.data)["tables"]["users"]
    assert row["opted_out_at"] is None and row["opted_in_at"] is not None
    await user.send("STOP")  # stopped again: the earlier START no longer says anything
    stored = await db.read_one(
        "SELECT opted_out_at, opted_in_at FROM users WHERE key = 'telegram:6203'"
    )
    assert stored is not None and stored[0] is not None and stored[1] is None


async def test_a_start_without_a_stop_changes_nothing(
    chat: Callable[..., Chat], db: Database
) -> None:
    user = await onboard(chat, "telegram:6204")
    await user.send("START")
    assert user.replies[0].text == "Messages from us are on again. To stop them, send STOP."
    stored = await db.read_one(
        "SELECT opted_out_at, opted_in_at FROM users WHERE key = 'telegram:6204'"
    )
    assert stored is not None and tuple(stored) == (None, None)
