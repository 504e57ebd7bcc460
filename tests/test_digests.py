"""The weekly digest: its time on the admin's clock across daylight-saving changes, one row per
week that replaces itself when the admin changes the time, and the send on Telegram (with the
chart) and WhatsApp (text), surviving a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.digests import DIGEST, DigestScheduler, next_occurrence, queue_next, week_key
from bot.engine import Engine
from bot.i18n import Catalogs
from handlers import build_registry
from handlers.insight import parse_hour
from storage import users
from storage.clock import from_db, to_db, utcnow
from storage.database import Database
from storage.digests import Subscription
from tests.fake_telegram import FakeTelegram
from tests.fake_twilio import FakeTwilio
from tests.harness import Chat
from tests.png import png_size
from tests.stack import both_channels, running

ROME = ZoneInfo("Europe/Rome")
MONDAY = 0


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A moment in UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def weeks_from(after: datetime, count: int, weekday: int = MONDAY, hour: int = 9) -> list[datetime]:
    """The next `count` occurrences, each found from the one before."""
    found = []
    for _ in range(count):
        after = next_occurrence(weekday, hour, ROME, after)
        found.append(after)
    return found


# -- the clock ------------------------------------------------------------------------------------


def test_monday_nine_in_rome_keeps_its_hour_when_the_clocks_go_forward() -> None:
    # Summer time starts on Sunday 29 March 2026: 09:00 is 08:00 UTC before, 07:00 UTC after.
    dues = weeks_from(utc(2026, 3, 18, 10), 3)
    assert dues == [utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), utc(2026, 4, 6, 7)]
    assert [d.astimezone(ROME).strftime("%a %H:%M") for d in dues] == ["Mon 09:00"] * 3
    assert dues[1] - dues[0] == timedelta(days=7, hours=-1)  # a 167-hour week


def test_monday_nine_in_rome_keeps_its_hour_when_the_clocks_go_back() -> None:
    # Summer time ends on Sunday 25 October 2026: 09:00 is 07:00 UTC before, 08:00 UTC after.
    dues = weeks_from(utc(2026, 10, 14, 10), 3)
    assert dues == [utc(2026, 10, 19, 7), utc(2026, 10, 26, 8), utc(2026, 11, 2, 8)]
    assert [d.astimezone(ROME).strftime("%a %H:%M") for d in dues] == ["Mon 09:00"] * 3
    assert dues[1] - dues[0] == timedelta(days=7, hours=1)  # a 169-hour week


def test_the_next_time_is_strictly_later_and_odd_hours_are_well_defined() -> None:
    monday = utc(2026, 3, 23, 8)
    assert next_occurrence(MONDAY, 9, ROME, monday - timedelta(microseconds=1)) == monday
    assert next_occurrence(MONDAY, 9, ROME, monday) == utc(2026, 3, 30, 7)  # not again now
    # 02:00 on 29 March does not exist in Rome: the digest goes at 03:00 summer time.
    assert next_occurrence(6, 2, ROME, utc(2026, 3, 28)) == utc(2026, 3, 29, 1)
    # 02:00 on 25 October happens twice: the first of the two.
    assert next_occurrence(6, 2, ROME, utc(2026, 10, 24)) == utc(2026, 10, 25, 0)
    # Sunday is the last day of an ISO week: its key is that week's.
    assert week_key("telegram:1", utc(2026, 3, 29, 8), ROME) == "digest:telegram:1:2026-W13"
    assert week_key("telegram:1", utc(2026, 3, 30, 7), ROME) == "digest:telegram:1:2026-W14"


@pytest.mark.parametrize(
    ("typed", "hour"),
    [("9", 9), ("09", 9), ("9:00", 9), ("21h", 21), ("9 pm", 21), ("12am", 0), ("12 PM", 12),
     ("0", 0), ("23.00", 23), ("24", None), ("9:30", None), ("13 pm", None), ("nine", None)],
)  # fmt: skip
def test_typed_hours(typed: str, hour: int | None) -> None:
    assert parse_hour(typed) == hour


# -- choosing the time -----------------------------------------------------------------------------


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """Wednesday 18 March 2026, 10:00 UTC."""
    return Clock(utc(2026, 3, 18, 10))


@pytest.fixture
def engine(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> Engine:
    """The real flows on the test's clock."""
    return Engine(db, build_registry(), catalogs, settings, clock=clock)


async def admin_in_rome(chat: Callable[..., Chat], key: str = "telegram:1") -> Chat:
    """The admin of the test settings, reading English, on Rome's clock, at the digest's page."""
    admin = chat(key, hint="en")
    await admin.send("/start")
    await admin.press("English")
    await admin.press("later")
    async with admin.engine.db.transaction() as tx:
        await users.update(tx, key, time_zone="Europe/Rome")
    await admin.send("/stats")
    await admin.press("Weekly digest")
    return admin


async def digest_rows(db: Database, status: str = "pending") -> list[tuple[str, str]]:
    """(not_before, idempotency key) of the digest rows in a status, in time order."""
    rows = await db.read_all(
        "SELECT not_before, idempotency_key FROM outbox WHERE renderer = ? AND status = ?"
        " ORDER BY not_before",
        (DIGEST, status),
    )
    return [(r[0], r[1]) for r in rows]


async def test_the_chosen_time_is_a_waiting_row_and_each_week_queues_the_next(
    chat: Callable[..., Chat], engine: Engine, settings: Settings, clock: Clock
) -> None:
    admin = await admin_in_rome(chat)
    assert admin.last.title == "Weekly digest"
    assert admin.labels[:7] == [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
    ]  # fmt: skip
    await admin.press("Monday")
    assert "9:00\u202fAM" in admin.labels
    await admin.press("hour:9")
    assert admin.replies[0].text == (
        "Done. The weekly digest comes every week: Monday, 9:00\u202fAM (Central European Time"
        " (Rome)). The next one: Mon, Mar 23, 2026, 9:00\u202fAM"
    )
    assert await digest_rows(engine.db) == [
        ("2026-03-23T08:00:00.000000Z", "digest:telegram:1:2026-W13")
    ]
    scheduler = DigestScheduler(engine.db, settings, lambda: None, clock=clock)
    wait = await scheduler.tick()  # nothing new until that one falls due
    assert await digest_rows(engine.db) == [
        ("2026-03-23T08:00:00.000000Z", "digest:telegram:1:2026-W13")
    ]
    assert wait == 3600.0  # at most an hour between looks

    for step in range(3):  # each week, as the digest falls due, the next one is queued
        due = from_db((await digest_rows(engine.db))[-1][0])
        clock.now = due + timedelta(seconds=1)
        assert await scheduler.tick() <= 3600.0
        assert len(await digest_rows(engine.db)) == step + 2
        await scheduler.tick()  # looking again adds nothing
        assert len(await digest_rows(engine.db)) == step + 2
    dues = [from_db(when) for when, _ in await digest_rows(engine.db)]
    assert dues == [
        utc(2026, 3, 23, 8),
        utc(2026, 3, 30, 7),
        utc(2026, 4, 6, 7),
        utc(2026, 4, 13, 7),
    ]
    assert {d.astimezone(ROME).strftime("%a %H:%M") for d in dues} == {"Mon 09:00"}
    assert [key[-8:] for _, key in await digest_rows(engine.db)] == [
        "2026-W13", "2026-W14", "2026-W15", "2026-W16"
    ]  # fmt: skip

    # In October, choosing again replaces what waits; the clocks go back on the 25th.
    clock.now = utc(2026, 10, 14, 10)
    await admin.send("/stats")
    await admin.press("Weekly digest")
    assert admin.last.text.startswith("The weekly digest comes every week: Monday, 9:00\u202fAM")
    await admin.press("Monday")
    await admin.send("9")
    assert await digest_rows(engine.db) == [
        ("2026-10-19T07:00:00.000000Z", "digest:telegram:1:2026-W43")
    ]
    clock.now = utc(2026, 10, 19, 7, 0, 1)
    await scheduler.tick()
    assert [when for when, _ in await digest_rows(engine.db)] == [
        "2026-10-19T07:00:00.000000Z",
        "2026-10-26T08:00:00.000000Z",  # still 09:00 in Rome
    ]


async def test_a_new_time_replaces_the_waiting_row_and_each_week_gets_one(
    chat: Callable[..., Chat], engine: Engine, clock: Clock
) -> None:
    admin = await admin_in_rome(chat)
    await admin.press("Monday")
    await admin.press("hour:9")
    await admin.press("Weekly digest")
    await admin.press("Friday")
    await admin.send("5 pm")
    assert await digest_rows(engine.db) == [
        ("2026-03-20T16:00:00.000000Z", "digest:telegram:1:2026-W12")
    ]  # Monday's row is gone: Friday 17:00 in Rome
    await admin.press("Weekly digest")
    await admin.press("Sunday")
    await admin.send("25")
    assert admin.replies[0].text == "Please type a whole hour from 0 to 23, such as 9 or 18."
    async with engine.db.transaction() as tx:  # Friday's went out
        await tx.execute("UPDATE outbox SET status = 'sent' WHERE renderer = ?", (DIGEST,))
    clock.now = utc(2026, 3, 21, 9)  # Saturday: Sunday is still this week, which had its digest
    await admin.send("10")
    assert admin.replies[0].text.endswith("The next one: Sun, Mar 29, 2026, 10:00\u202fAM")
    assert await digest_rows(engine.db) == [
        ("2026-03-29T08:00:00.000000Z", "digest:telegram:1:2026-W13")
    ]
    await admin.press("Weekly digest")
    assert "The next one: Sun, Mar 29, 2026" in admin.last.text  # the row's time, not the 22nd
    await admin.press("Turn the digest off")
    assert admin.replies[0].text == "The weekly digest is off."
    assert await digest_rows(engine.db) == []
    assert await engine.db.read_all("SELECT * FROM digest_subscriptions") == []
    await admin.press("Weekly digest")
    assert "Turn the digest off" not in admin.labels


async def test_without_a_time_zone_the_digest_keeps_utc_and_says_so(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    admin = chat("telegram:1", hint="en")
    await admin.send("/start")
    await admin.press("English")
    await admin.press("later")
    await admin.send("/stats")
    await admin.press("Weekly digest")
    assert "Times are in UTC: set your time zone in Settings to use your clock." in admin.text
    await admin.press("Monday")
    await admin.press("hour:9")
    assert await digest_rows(engine.db) == [
        ("2026-03-23T09:00:00.000000Z", "digest:telegram:1:2026-W13")
    ]


async def test_only_admins_can_choose_a_digest(chat: Callable[..., Chat], engine: Engine) -> None:
    officer = chat("telegram:2", hint="en")
    await officer.send("/start")
    await officer.press("English")
    await officer.press("later")
    for payload in ("stats", "stats:overview"):
        await officer.press(payload)
        assert officer.replies[0].text == "That part is for staff only."
    await officer.press("~3~digest")  # a forged step-local choice
    assert officer.replies[0].text == "That menu is no longer active. Here is where we are now."
    assert await engine.db.read_all("SELECT * FROM digest_subscriptions") == []


# -- sending ---------------------------------------------------------------------------------------


async def until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for a condition, up to a deadline."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def settled(db: Database, seconds: float = 10.0) -> None:
    """Wait until no digest row waits or is being sent."""
    deadline = time.monotonic() + seconds
    while await db.read_all(
        "SELECT 1 FROM outbox WHERE renderer = ? AND status IN ('pending', 'claimed')", (DIGEST,)
    ):
        assert time.monotonic() < deadline, "digest rows still waiting"
        await asyncio.sleep(0.02)


async def test_the_digest_goes_out_with_its_chart_on_telegram_and_as_text_on_whatsapp(
    db_path: Path, fake: FakeTelegram, twilio: FakeTwilio, catalogs: Catalogs
) -> None:
    telegram, whatsapp, revoked = "telegram:1", "whatsapp:+393331234567", "telegram:9"
    settings = both_channels(
        db_path,
        fake.url,
        twilio.url,
        admins=frozenset({telegram, whatsapp}),
    )
    now = utcnow()
    due = now.replace(minute=0, second=0, microsecond=0)  # this hour, on a UTC clock
    subs = [
        Subscription(key, due.weekday(), due.hour, "UTC") for key in (telegram, whatsapp, revoked)
    ]
    async with running(settings) as (engine, worker):
        async with engine.db.transaction() as tx:
            for key, locale in ((telegram, "en"), (whatsapp, "it"), (revoked, "en")):
                await users.create(tx, key, locale_hint=None, now=now)
                await users.update(tx, key, locale=locale)
            await tx.execute(
                "INSERT INTO roles (user_key, role, granted_at) VALUES (?, 'admin', ?)",
                (revoked, to_db(now)),
            )
            for sub in subs:
                await tx.execute(
                    "INSERT INTO digest_subscriptions (user_key, weekday, hour, time_zone,"
                    " created_at, updated_at) VALUES (?, ?, ?, 'UTC', ?, ?4)",
                    (sub.user_key, sub.weekday, sub.hour, to_db(now)),
                )
                assert await queue_next(tx, sub, due - timedelta(seconds=1)) == due
            await tx.execute("DELETE FROM roles WHERE user_key = ?", (revoked,))  # since revoked
        worker.wake()
        await fake.wait_for(lambda: bool(fake.sent(1, "sendPhoto")))
        await until(lambda: bool(twilio.bodies(whatsapp)))
        await settled(engine.db)
        statuses = await engine.db.read_all(
            "SELECT recipient, status, reason FROM outbox WHERE renderer = ? ORDER BY recipient",
            (DIGEST,),
        )
    [text] = fake.texts(1)
    assert text.startswith("<b>Your weekly statistics</b>\n")
    assert "Users: 3 (Telegram 2 · WhatsApp 1)" in text
    [photo] = fake.sent(1, "sendPhoto")
    assert png_size(photo.params["photo"])[0] == 1080  # the overview's chart, a valid PNG
    [body] = twilio.bodies(whatsapp)
    it = catalogs.translator("it").t
    assert body.startswith(f"*{it('Your weekly statistics')}*")  # in the admin's language then
    assert it("Users: {total} ({channels})", total=3, channels="Telegram 2 · WhatsApp 1") in body
    assert not any("MediaUrl" in r.params for r in twilio.requests)  # no chart on WhatsApp
    assert [tuple(r) for r in statuses] == [
        ("telegram:1", "sent", None),
        ("telegram:9", "skipped", "nothing to send any more"),  # no longer an admin
        ("whatsapp:+393331234567", "sent", None),
    ]

    # A restart: the scheduler queues next week's digests (for the admins only).
    async with running(settings) as (engine, _):
        pending = await engine.db.read_all(
            "SELECT recipient, not_before, idempotency_key FROM outbox"
            " WHERE renderer = ? AND status = 'pending' ORDER BY recipient",
            (DIGEST,),
        )
    later = due + timedelta(days=7)
    year, week, _ = later.isocalendar()
    assert [tuple(r) for r in pending] == [
        (key, to_db(later), f"digest:{key}:{year}-W{week:02d}") for key in (telegram, whatsapp)
    ]
