"""The outbox against the fake Telegram Bot API and the fake Twilio endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import outbox
from bot.config import Settings
from bot.engine import Engine
from bot.i18n import LOCALES, Catalogs
from bot.messages import Incoming
from bot.outbox import OutboxWorker
from bot.registry import Registry
from handlers import optout
from storage import outbox as store
from storage import users
from storage.clock import utcnow
from storage.database import Database
from tests import sample_flows, stack
from tests.fake_telegram import FakeTelegram
from tests.fake_twilio import FakeTwilio
from tests.fake_twilio import Sent as FakeSent
from tests.stack import both_channels, opened

TEMPLATES = stack.TEMPLATES
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(db_path: Path, fake: FakeTelegram, twilio: FakeTwilio) -> Settings:
    """Both channels, paces off unless a test sets them."""
    return both_channels(db_path, fake.url, twilio.url)


def running(settings: Settings) -> AbstractAsyncContextManager[tuple[Engine, OutboxWorker]]:
    """The sample flows' engine and a worker on both channels."""
    return stack.running(settings, sample_flows.registry())


async def add_users(db: Database, keys: list[str], inbound: datetime | None = None) -> None:
    """Users who wrote once (at `inbound`, default now), in the four languages in turn."""
    now = utcnow()
    async with db.transaction() as tx:
        for index, key in enumerate(keys):
            await users.create(tx, key, locale_hint=None, now=now)
            await users.update(tx, key, locale=LOCALES[index % 4], last_inbound_at=inbound or now)


async def queue(
    db: Database, keys: list[str], renderer: str = "greeting", **kwargs: object
) -> list[int]:
    """One row per recipient; returns the row ids."""
    ids = []
    kwargs.setdefault("lane", "direct")
    async with db.transaction() as tx:
        for index, key in enumerate(keys):
            row = await store.enqueue(
                tx,
                key,
                renderer,
                {"n": index},
                now=utcnow(),
                **kwargs,  # type: ignore[arg-type]
            )
            assert row is not None
            ids.append(row)
    return ids


async def settled(
    db: Database, seconds: float = 20.0, statuses: tuple[str, ...] = ("pending", "claimed")
) -> None:
    """Wait until no row is in these statuses."""
    deadline = time.monotonic() + seconds
    while True:
        row = await db.read_one(
            f"SELECT count(*) FROM outbox WHERE status IN ({', '.join('?' for _ in statuses)})",
            statuses,
        )
        if row is not None and row[0] == 0:
            return
        assert time.monotonic() < deadline, "rows still waiting"
        await asyncio.sleep(0.02)


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    """Wait for a condition on the database or the fakes."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def status_counts(db: Database) -> dict[str, int]:
    """Rows per status."""
    rows = await db.read_all("SELECT status, count(*) FROM outbox GROUP BY status")
    return {r[0]: r[1] for r in rows}


async def test_rows_across_both_channels_arrive_once_in_each_language_at_send_time(
    settings: Settings, fake: FakeTelegram, twilio: FakeTwilio, catalogs: Catalogs
) -> None:
    telegram = [f"telegram:{1000 + i}" for i in range(150)]
    whatsapp = [f"whatsapp:+3933300{i:05d}" for i in range(150)]
    async with opened(settings) as db:
        await add_users(db, telegram + whatsapp)
        await queue(db, telegram + whatsapp)
        async with db.transaction() as tx:  # a language changed after queueing: send time decides
            await users.update(tx, telegram[0], locale="el")
            await users.update(tx, whatsapp[1], locale="sq")
    async with running(settings) as (engine, _):
        await settled(engine.db)
        assert await status_counts(engine.db) == {"sent": 300}

    def expected(locale: str) -> str:
        tr = catalogs.translator(locale)
        return tr.t("Messages from us are on again. To stop them, send {stop}.", stop=tr.t("STOP"))

    for index, key in enumerate(telegram):  # add_users gives LOCALES in turn over both lists
        locale = "el" if index == 0 else LOCALES[index % 4]
        assert fake.texts(int(key.partition(":")[2])) == [expected(locale)]
    for index, key in enumerate(whatsapp, start=len(telegram)):
        locale = "sq" if key == whatsapp[1] else LOCALES[index % 4]
        assert twilio.bodies(key) == [expected(locale)]
    assert len({expected(locale) for locale in LOCALES}) == 4


async def test_blocked_and_opted_out_recipients_are_marked_and_never_retried(
    settings: Settings, fake: FakeTelegram, twilio: FakeTwilio
) -> None:
    blocked, opted = "telegram:2001", "whatsapp:+393330002002"
    async with opened(settings) as db:
        await add_users(db, [blocked, opted])
        await queue(db, [blocked, opted, blocked, opted])
    fake.fail("sendMessage", 2001, status=403, times=10)
    twilio.fail(21610, to=opted, times=10)
    async with running(settings) as (engine, _):
        await settled(engine.db)
        reasons = await engine.db.read_all(
            "SELECT recipient, status, reason FROM outbox ORDER BY id"
        )
        marks = await engine.db.read_all("SELECT key, unreachable_reason FROM users ORDER BY key")
    assert [(r[1]) for r in reasons] == ["skipped"] * 4
    assert {r[0]: r[1] for r in marks} == {
        blocked: "telegram: blocked by the user",
        opted: "whatsapp: opted out (21610)",
    }
    assert len([c for c in fake.calls if c.method == "sendMessage"]) == 1  # never retried
    assert len(twilio.requests) == 1


async def test_a_429_is_waited_out_while_the_other_channel_keeps_sending(
    settings: Settings, fake: FakeTelegram, twilio: FakeTwilio
) -> None:
    telegram = [f"telegram:{3000 + i}" for i in range(5)]
    whatsapp = [f"whatsapp:+3933303{i:04d}" for i in range(20)]
    async with opened(settings) as db:
        await add_users(db, telegram + whatsapp)
        await queue(db, telegram)
    fake.fail("sendMessage", status=429, description="Too Many Requests", retry_after=3)
    # One send in flight at a time: a send already on its way when the 429 came back cannot
    # land inside the pause and blur what the pause proves.
    paced = replace(settings, whatsapp_pace=40.0, outbox_concurrency=1)
    async with running(paced) as (engine, worker):
        await fake.wait_for(lambda: any(not c.ok for c in fake.calls), 30)
        await queue(engine.db, whatsapp)  # WhatsApp's work starts while Telegram is paused
        worker.wake()
        await settled(engine.db, 60)
    refused = next(c.at for c in fake.calls if c.method == "sendMessage" and not c.ok)
    resumed = min(c.at for c in fake.sent())
    assert len(fake.sent()) == 5 and len(twilio.requests) == 20
    assert resumed - refused >= 3.0  # nothing went to Telegram before its 3 seconds were over
    # WhatsApp sent everything at its own pace meanwhile (half a second of work in a 3 s pause).
    assert all(refused < r.at < resumed for r in twilio.requests)


async def test_a_user_who_opts_out_mid_send_gets_nothing_more(
    settings: Settings, fake: FakeTelegram
) -> None:
    key = "telegram:4001"
    async with opened(settings) as db:
        await add_users(db, [key])
        await queue(db, [key] * 40, renderer="numbered", lane="bulk")
    async with running(replace(settings, telegram_pace=10.0)) as (engine, _):
        await fake.wait_for(lambda: len(fake.sent(4001)) >= 5)
        async with engine.db.transaction() as tx:
            await users.update(tx, key, opted_out_at=utcnow())
        stopped = time.monotonic()
        await settled(engine.db)
        counts = await status_counts(engine.db)
    late = [c for c in fake.sent(4001) if c.at > stopped + 0.5]
    assert late == []
    assert counts["skipped"] >= 30 and counts["sent"] + counts["skipped"] == 40


async def test_a_direct_row_overtakes_thousands_of_bulk_rows(
    settings: Settings, fake: FakeTelegram
) -> None:
    keys = [f"telegram:{50000 + i}" for i in range(3000)]
    async with opened(settings) as db:
        await add_users(db, [*keys, "telegram:9"])
        await queue(db, keys, renderer="numbered", lane="bulk")
    async with running(replace(settings, telegram_pace=400.0, outbox_batch=50)) as (engine, worker):
        await fake.wait_for(lambda: len(fake.sent()) >= 100)
        async with engine.db.transaction() as tx:
            await store.enqueue(tx, "telegram:9", "greeting", {}, lane="direct", now=utcnow())
        queued_after = len(fake.sent())
        worker.wake()
        await fake.wait_for(lambda: bool(fake.sent(9)))
        overtaken = fake.sent().index(fake.sent(9)[0]) - queued_after
    assert overtaken <= 2 * 50  # within a couple of batches, not behind 2,900 rows


async def test_held_whatsapp_rows_are_delivered_when_the_user_writes(
    settings: Settings, twilio: FakeTwilio
) -> None:
    key = "whatsapp:+393330005005"
    async with running(settings) as (engine, worker):
        await away(engine, key, "it")
        await queue(engine.db, [key, key], renderer="numbered")
        worker.wake()
        await until(lambda: _held(engine.db, 2))
        await until(lambda: _true(len(twilio.requests) == 1))
        [notice] = twilio.requests
        assert notice.params["ContentSid"] == TEMPLATES["it"] and "Body" not in notice.params
        assert (
            notice.params["ContentVariables"]
            == '{"1": "il Ministero per l\'Europa e gli Affari Esteri"}'
        )
        # The user was in a flow when the messages came: "ok" is not an answer to its step.
        before = await engine.db.read_one(
            "SELECT state FROM conversations WHERE user_key = ?", (key,)
        )
        outcome = await engine.handle(Incoming(key, text="ok", message_id="w2"))
        after = await engine.db.read_one(
            "SELECT state FROM conversations WHERE user_key = ?", (key,)
        )
        assert [r.text for r in outcome.replies] == ["message 0", "message 1", "Menu"]
        assert before is not None and after is not None
        assert _step(before[0]) == _step(after[0]) == ("menu", "main")
        echo = await engine.handle(Incoming(key, text="now an answer", message_id="w3"))
        assert echo.replies[0].text == "echo:now an answer"
        assert await status_counts(engine.db) == {"sent": 2}
    assert len(twilio.requests) == 1  # one notice, no free-form message outside the window


async def test_stop_from_a_user_with_held_messages_opts_out_and_sends_them_nothing(
    settings: Settings, twilio: FakeTwilio, catalogs: Catalogs
) -> None:
    key = "whatsapp:+393330005101"
    async with stack.running(settings, with_stop()) as (engine, worker):
        await away(engine, key, "it")
        await queue(engine.db, [key], renderer="numbered")
        await queue(engine.db, [key], renderer="numbered", lane="bulk")
        worker.wake()
        await until(lambda: _held(engine.db, 2))
        await until(lambda: _true(len(twilio.requests) == 1))  # the notice
        stopped = await engine.handle(Incoming(key, text="STOP", message_id="w1"))
        found = await users.get(engine.db.reader(), key)
        rows = await engine.db.read_all("SELECT status, reason FROM outbox ORDER BY id")
        later = await engine.handle(Incoming(key, text="ciao", message_id="w2"))
    it = catalogs.translator("it")
    done = it.t(
        "Done: we will send you nothing on our own any more (no announcements, reminders or"
        " later answers). You can still write to us at any time. To turn messages back on,"
        " send {start}.",
        start=it.t("START"),
    )
    assert [r.text for r in stopped.replies] == [done, "Menu"]  # the first STOP counts
    assert found is not None and found.opted_out_at is not None
    assert [tuple(r) for r in rows] == [("skipped", "opted out")] * 2
    assert [r.text for r in later.replies] == ["echo:ciao", "Menu"]
    assert len(twilio.requests) == 1  # the notice, and nothing after it


@pytest.mark.parametrize(("text", "answer"), [("/form", "Pick"), ("info", "info text")])
async def test_a_command_or_a_global_word_is_answered_and_the_held_messages_follow(
    settings: Settings, twilio: FakeTwilio, text: str, answer: str
) -> None:
    key = "whatsapp:+393330005102"
    async with stack.running(settings, with_stop()) as (engine, worker):
        await away(engine, key)
        await queue(engine.db, [key, key], renderer="numbered")
        worker.wake()
        await until(lambda: _held(engine.db, 2))
        outcome = await engine.handle(Incoming(key, text=text, message_id="w1"))
        await until(lambda: _counts_are(engine.db, {"sent": 2}))
    assert outcome.replies[0].text == answer  # not taken as "read my messages"
    assert twilio.bodies(key) == ["message 0", "message 1"]  # sent now that the window is open


async def test_held_messages_the_user_may_no_longer_receive_are_skipped_when_they_write(
    settings: Settings, twilio: FakeTwilio
) -> None:
    quiet, stopped = "whatsapp:+393330005103", "whatsapp:+393330005104"
    async with stack.running(settings, with_stop()) as (engine, worker):
        for key in (quiet, stopped):
            await away(engine, key)
            async with engine.db.transaction() as tx:
                for lane, n in (("direct", 1), ("bulk", 2)):
                    await store.enqueue(
                        tx, key, "numbered", {"n": n}, lane=lane, now=utcnow(), batch="b1"
                    )
        worker.wake()
        await until(lambda: _held(engine.db, 4))
        await until(lambda: _true(len(twilio.requests) == 2))  # a notice each
        async with engine.db.transaction() as tx:  # while they waited
            await users.update(tx, quiet, announcements=False)
            await users.update(tx, stopped, opted_out_at=utcnow())
        quiet_out = await engine.handle(Incoming(quiet, text="ok", message_id="q1"))
        stopped_out = await engine.handle(Incoming(stopped, text="ok", message_id="s1"))
        rows = await engine.db.read_all(
            "SELECT recipient, lane, status, reason FROM outbox ORDER BY id"
        )
    assert [r.text for r in quiet_out.replies] == ["message 1", "Menu"]  # not the announcement
    assert [r.text for r in stopped_out.replies] == ["echo:ok", "Menu"]  # nothing was waiting
    assert [tuple(r) for r in rows] == [
        (quiet, "direct", "sent", None),
        (quiet, "bulk", "skipped", "announcements off"),
        (stopped, "direct", "skipped", "opted out"),
        (stopped, "bulk", "skipped", "opted out"),
    ]
    assert twilio.bodies() == []


async def test_no_notice_for_held_messages_the_user_may_no_longer_receive(
    settings: Settings, twilio: FakeTwilio
) -> None:
    key = "whatsapp:+393330005106"
    async with opened(settings) as db:
        await add_users(db, [key], inbound=utcnow() - timedelta(days=3))
        await queue(db, [key], renderer="numbered", lane="bulk")
    async with running(replace(settings, whatsapp_daily_template_cap=0)) as (engine, _):
        await until(lambda: _held(engine.db, 1))  # and no notice: today's cap is spent
        async with engine.db.transaction() as tx:
            await users.update(tx, key, announcements=False)
    async with running(settings) as (engine, _):  # the next day, with notices to spare
        await until(lambda: _counts_are(engine.db, {"skipped": 1}))
        row = await engine.db.read_one("SELECT reason FROM outbox")
    assert row is not None and row[0] == "announcements off"
    assert twilio.requests == []  # no notice for a message that will not come


async def test_notices_keep_the_whatsapp_pace_and_wait_out_a_429(
    settings: Settings, twilio: FakeTwilio
) -> None:
    writer = "whatsapp:+393330009200"
    waiting = [f"whatsapp:+39333000920{i}" for i in range(1, 4)]
    async with opened(settings) as db:
        await add_users(db, [writer])
        await add_users(db, waiting, inbound=utcnow() - timedelta(days=2))
        await queue(db, [writer, *waiting])
    twilio.fail(20429, status=429, to=writer)  # the message within the window meets a 429
    async with running(replace(settings, whatsapp_pace=5.0)):
        await until(lambda: _true(len(_notices(twilio)) == 3 and bool(twilio.bodies(writer))))
    refused = next(r.at for r in twilio.requests if not r.ok)
    told = sorted(r.at for r in _notices(twilio))
    # The pause the 429 began (1 s) holds for notices too, then they go 0.2 s apart (5/s).
    for index, at in enumerate(told):
        assert at >= refused + 1.0 + index * 0.2 - 0.001


async def test_a_429_on_a_notice_stops_the_round_and_that_notice_goes_later(
    settings: Settings, twilio: FakeTwilio
) -> None:
    keys = [f"whatsapp:+39333000930{i}" for i in range(3)]
    async with opened(settings) as db:
        await add_users(db, keys, inbound=utcnow() - timedelta(days=2))
        await queue(db, keys)
    twilio.fail(20429, status=429)
    async with running(settings) as (engine, _):

        async def told() -> bool:  # recorded, not only received: the record follows the send
            row = await engine.db.read_one(
                "SELECT count(*) FROM users WHERE notice_sent_at IS NOT NULL"
            )
            return row is not None and row[0] == 3

        await until(told)
    [refused] = [r for r in twilio.requests if not r.ok]
    notices = _notices(twilio)
    assert sorted(r.params["To"] for r in notices) == keys  # one each, the refused one too
    assert all(r.at >= refused.at + 1.0 for r in notices)  # none went during the pause


async def test_the_daily_notice_cap_holds(settings: Settings, twilio: FakeTwilio) -> None:
    keys = [f"whatsapp:+3933300060{i:02d}" for i in range(5)]
    async with opened(settings) as db:
        await add_users(db, keys, inbound=utcnow() - timedelta(days=3))
        await queue(db, keys)
    async with running(replace(settings, whatsapp_daily_template_cap=2)) as (engine, _):
        await until(lambda: _held(engine.db, 5))
        await until(lambda: _true(len(twilio.requests) >= 2))
        await asyncio.sleep(0.3)  # give it the chance to go over the cap (it must not)
        assert len(twilio.requests) == 2
        row = await engine.db.read_one(
            "SELECT count(*) FROM users WHERE notice_sent_at IS NOT NULL"
        )
        assert row is not None and row[0] == 2
    tomorrow = Settings(**{**settings.__dict__, "whatsapp_daily_template_cap": 2})
    # The next day: yesterday's notices no longer count.
    async with opened(settings) as db, db.transaction() as tx:
        await tx.execute(
            "UPDATE users SET notice_sent_at = ? WHERE notice_sent_at IS NOT NULL",
            ("2020-01-01T00:00:00.000000Z",),
        )
        await tx.execute("UPDATE users SET last_inbound_at = ?", ("2019-12-31T00:00:00.000000Z",))
    async with running(tomorrow) as (engine, _):
        await until(lambda: _true(len(twilio.requests) >= 4))
        await asyncio.sleep(0.3)
    assert len(twilio.requests) == 4  # two more today, the fifth waits
    assert len({r.params["To"] for r in twilio.requests}) == 4


async def test_idempotency_keys_prevent_a_second_reminder(settings: Settings) -> None:
    async with opened(settings) as db:
        await add_users(db, ["telegram:7001"])
        async with db.transaction() as tx:
            first = await store.enqueue(
                tx,
                "telegram:7001",
                "greeting",
                {},
                lane="direct",
                now=utcnow(),
                key="reminder:event-1:telegram:7001:1d",
            )
            second = await store.enqueue(
                tx,
                "telegram:7001",
                "greeting",
                {},
                lane="direct",
                now=utcnow(),
                key="reminder:event-1:telegram:7001:1d",
            )
        assert first is not None and second is None
        assert (await db.read_one("SELECT count(*) FROM outbox"))[0] == 1  # type: ignore[index]


async def test_rendering_happens_at_send_time_and_nothing_is_skipped_silently(
    settings: Settings, fake: FakeTelegram
) -> None:
    async with opened(settings) as db:
        await add_users(db, ["telegram:7101", "telegram:7102"])
        await queue(
            db,
            ["telegram:7101", "telegram:7102"],
            renderer="city",
            not_before=utcnow() + timedelta(seconds=1),
        )
        async with db.transaction() as tx:
            await users.update(tx, "telegram:7101", city="Durrës")
    async with running(settings) as (engine, _):
        await settled(engine.db, statuses=("pending", "claimed"))
        rows = await engine.db.read_all("SELECT recipient, status, reason FROM outbox ORDER BY id")
    assert fake.texts(7101) == ["city is Durrës"]
    assert [(r[1], r[2]) for r in rows] == [("sent", None), ("skipped", "nothing to send any more")]


async def test_a_row_can_edit_a_message_sent_earlier(
    settings: Settings, fake: FakeTelegram
) -> None:
    async with opened(settings) as db:
        await add_users(db, ["telegram:7201"])
        [first] = await queue(db, ["telegram:7201"], renderer="numbered")
    async with running(settings) as (engine, worker):
        await settled(engine.db)
        async with engine.db.transaction() as tx:
            await store.enqueue(
                tx, "telegram:7201", "numbered", {"n": 99}, lane="direct", now=utcnow(), edits=first
            )
        worker.wake()
        await fake.wait_for(lambda: bool(fake.sent(7201, "editMessageText")))
    [edit] = fake.sent(7201, "editMessageText")
    assert int(edit.params["message_id"]) == fake.sent(7201)[0].result["message_id"]
    assert edit.params["text"] == "message 99"


async def test_whatsapp_statuses_are_linked_to_their_rows(
    settings: Settings, twilio: FakeTwilio
) -> None:
    async with opened(settings) as db:
        await add_users(db, ["whatsapp:+393330007301"])
        [row] = await queue(db, ["whatsapp:+393330007301"])
    async with running(settings) as (engine, _):
        await settled(engine.db)
        linked = await engine.db.read_all("SELECT outbox_id, status FROM whatsapp_statuses")
    assert [(r[0], r[1]) for r in linked] == [(row, "queued")]


async def test_report_counts_by_status_and_reason_with_the_time_left(settings: Settings) -> None:
    async with opened(settings) as db:
        keys = [f"telegram:{7400 + i}" for i in range(10)]
        await add_users(db, keys)
        await queue(db, keys, batch="broadcast-1", lane="bulk")
        async with db.transaction() as tx:
            await tx.execute("UPDATE outbox SET status = 'sent' WHERE id <= 4")
            await tx.execute(
                "UPDATE outbox SET status = 'skipped', reason = 'opted out' WHERE id = 5"
            )
        found = await outbox.report(db, "broadcast-1", pace=2.0)
    assert found.statuses == {"sent": 4, "skipped": 1, "pending": 5}
    assert found.reasons == {"opted out": 1}
    assert (found.remaining, found.seconds_left, found.total) == (5, 2.5, 10)


async def test_a_killed_worker_sends_nothing_acknowledged_twice(
    settings: Settings, fake: FakeTelegram, tmp_path: Path
) -> None:
    keys = [f"telegram:{80000 + i}" for i in range(300)]
    async with opened(settings) as db:
        await add_users(db, keys)
        await queue(db, keys, renderer="numbered", lane="bulk")
    command = [sys.executable, "-m", "tests.outbox_process", str(settings.database_path), fake.url]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT)
    try:
        await fake.wait_for(lambda: len(fake.sent()) >= 120, 30)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    assert first.returncode == -signal.SIGKILL
    async with opened(settings) as db:
        acknowledged = {
            r[0] for r in await db.read_all("SELECT id FROM outbox WHERE status = 'sent'")
        }
        claimed = (await db.read_one("SELECT count(*) FROM outbox WHERE status = 'claimed'"))[0]  # type: ignore[index]
    assert 0 < len(acknowledged) < 300
    second = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT)
    assert await asyncio.wait_for(second.wait(), 60) == 0
    delivered = Counter(int(c.params["text"].split()[1]) for c in fake.sent())
    ids = {r: r - 1 for r in range(1, 301)}  # row id n carries message n-1
    assert set(delivered) == set(ids.values())  # everything arrived
    twice = {n for n, count in delivered.items() if count > 1}
    assert not {ids[r] for r in acknowledged} & twice  # nothing acknowledged went out again
    assert len(twice) <= max(claimed, 20)  # the uncertain ones: at most the claimed batch


def with_stop() -> Registry:
    """The sample flows with the real STOP and START."""
    return Registry([sample_flows.FEATURE, optout.FEATURE], menu="menu")


async def away(engine: Engine, key: str, locale: str = "en") -> None:
    """A WhatsApp user at the main menu who last wrote two days ago."""
    await engine.handle(Incoming(key, text="/start", message_id=f"{key}:start"))
    async with engine.db.transaction() as tx:
        await users.update(tx, key, locale=locale, last_inbound_at=utcnow() - timedelta(days=2))


def _notices(twilio: FakeTwilio) -> list[FakeSent]:
    """The notice templates Twilio accepted."""
    return [r for r in twilio.requests if r.ok and "ContentSid" in r.params]


async def _counts_are(db: Database, expected: dict[str, int]) -> bool:
    """Whether the rows per status are these."""
    return await status_counts(db) == expected


async def _held(db: Database, n: int) -> bool:
    """Whether n rows are held."""
    row = await db.read_one("SELECT count(*) FROM outbox WHERE status = 'held'")
    return row is not None and row[0] == n


async def _true(value: bool) -> bool:
    """A plain condition, for `until`."""
    return value


def _step(state: str) -> tuple[str, str]:
    """The flow and step of a stored conversation record."""
    import json

    raw = json.loads(state)
    return raw["flow"], raw["step"]


def test_utc_day_boundary_helper() -> None:
    moment = datetime(2026, 11, 27, 23, 59, tzinfo=UTC)
    assert moment.replace(hour=0, minute=0, second=0, microsecond=0).day == 27


async def test_a_pushed_whatsapp_message_offers_no_numbers_the_chat_would_take_otherwise(
    settings: Settings, fake: FakeTelegram, twilio: FakeTwilio
) -> None:
    # A number typed back answers the prompt the user is at, not the pushed message: its
    # "1. Open" would do something else, so WhatsApp gets the text alone; Telegram the button.
    keys = ["whatsapp:+393330009400", "telegram:9400"]
    async with opened(settings) as db:
        await add_users(db, keys)
        await queue(db, keys, renderer="with_button")
    async with running(settings) as (engine, _):
        await settled(engine.db)
    assert twilio.bodies(keys[0]) == ["message 0"]
    [sent] = fake.sent(9400)
    assert sent.labels == ["Open"]
