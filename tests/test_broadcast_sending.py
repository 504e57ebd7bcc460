"""Broadcasts sent by the web process to the fake Telegram Bot API and the fake Twilio endpoint."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite
import httpx
import pytest
from telegram.error import BadRequest
from twilio.request_validator import RequestValidator

from bot.broadcasts import BroadcastScheduler
from bot.config import Settings
from bot.engine import Engine
from bot.i18n import LOCALES, Catalogs
from bot.messages import Reply
from bot.runtime import engine_for, telegram_application
from bot.telegram import TelegramChannel, webhook_secret
from bot.web import SECRET_HEADER, create_app
from handlers import build_registry
from handlers.announcements import stop_line
from storage import outbox as rows
from storage.clock import to_db, utcnow
from storage.database import Database
from tests import fake_telegram as tg
from tests.fake_telegram import Call, FakeTelegram
from tests.fake_twilio import FakeTwilio
from tests.harness import Chat
from tests.people import Person, add_people, crowd, queued
from tests.servers import serve

TOKEN = "123456789:AAE1bcdefghijklmnopqrstuvwxyz012345"
ACCOUNT = "AC" + "0123456789abcdef" * 2
AUTH = "fedcba9876543210" * 2
SENDER = "whatsapp:+14155238886"
PUBLIC = "https://bot.example.org"
TEMPLATES = {locale: f"HX{i:032d}" for i, locale in enumerate(LOCALES)}
ADMIN = 1
SUMMIT = {
    "sq": "Samiti i Diasporës mbahet në Tiranë më 5 dhjetor.",
    "it": "Il Summit della Diaspora si tiene a Tirana il 5 dicembre.",
    "en": "The Diaspora Summit takes place in Tirana on 5 December.",
}
ROOT = Path(__file__).resolve().parent.parent
_updates = itertools.count(1)
_sids = itertools.count(1)


@pytest.fixture
def settings(db_path: Path, fake: FakeTelegram, twilio: FakeTwilio) -> Settings:
    """Both channels, an admin on Telegram and one on WhatsApp, paces off unless a test sets
    them, progress shown often."""
    return Settings(
        flood_messages=10_000,  # tests send fast; flood control has its own tests
        database_path=db_path,
        public_url=PUBLIC,
        admins=frozenset({f"telegram:{ADMIN}", "whatsapp:+393330000001"}),
        officers=frozenset({"telegram:2"}),
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.url,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=AUTH,
        twilio_whatsapp_from=SENDER,
        twilio_api_base_url=twilio.url,
        twilio_template_sids=TEMPLATES,
        whatsapp_template_price=Decimal("0.02"),
        telegram_pace=0.0,
        telegram_chat_pace=0.0,
        whatsapp_pace=0.0,
        broadcast_progress_edit_seconds=0.2,
        broadcast_progress_line_seconds=0.5,
    )


@dataclass
class Web:
    """The running web process, seen from outside: webhooks in, fakes' records out."""

    client: httpx.AsyncClient
    fake: FakeTelegram
    twilio: FakeTwilio
    path: Path

    async def telegram(self, chat: int, text: str) -> list[Call]:
        """A Telegram message; the messages the bot sent back to that chat."""
        return await self._post(chat, tg.text_update(chat, text))

    async def press(self, chat: int, label: str) -> list[Call]:
        """Press a button by its label, on the latest message to the chat that offers it."""
        call = next(c for c in reversed(self._to(chat)) if label in c.labels)
        data = next(b["callback_data"] for row in call.keyboard for b in row if b["text"] == label)
        return await self._post(chat, tg.callback_update(chat, data, call.result["message_id"]))

    async def forge(self, chat: int, data: str) -> list[Call]:
        """A button press with made-up callback data."""
        return await self._post(chat, tg.callback_update(chat, data))

    async def _post(self, chat: int, update: dict[str, Any]) -> list[Call]:
        before = len(self.fake.sent(chat))
        response = await self.client.post("/telegram", json={"update_id": next(_updates), **update})
        assert response.status_code == 200, response.text
        return self.fake.sent(chat)[before:]

    def _to(self, chat: int) -> list[Call]:
        """Messages sent to a chat and their edits, in order."""
        return [c for c in self.fake.calls if c.ok and c.chat_id == chat and c.params.get("text")]

    async def whatsapp(self, number: str, body: str) -> list[str]:
        """A signed WhatsApp message; the TwiML answer's messages."""
        form = {
            "MessageSid": f"SM{next(_sids):032x}",
            "AccountSid": ACCOUNT,
            "From": number,
            "To": SENDER,
            "Body": body,
            "NumMedia": "0",
        }
        signature = RequestValidator(AUTH).compute_signature(f"{PUBLIC}/whatsapp", form)
        response = await self.client.post(
            "/whatsapp", data=form, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.text
        return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]

    async def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """A read on the running process's database (read-only: the process holds the lock)."""
        async with aiosqlite.connect(f"file:{self.path}?mode=ro", uri=True) as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def value(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first column of the first row."""
        return (await self.query(sql, params))[0][0]

    async def statuses(self, batch: str = "broadcast:1") -> dict[str, int]:
        """Rows of a batch per status."""
        found = await self.query(
            "SELECT status, count(*) FROM outbox WHERE batch = ? GROUP BY 1", (batch,)
        )
        return {r[0]: r[1] for r in found}

    async def until(self, check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
        """Wait for a condition, with a deadline."""
        deadline = time.monotonic() + seconds
        while not await check():
            assert time.monotonic() < deadline, "condition not met in time"
            await asyncio.sleep(0.05)

    async def status(self, broadcast: int = 1) -> str:
        """A broadcast's status."""
        return str(await self.value("SELECT status FROM broadcasts WHERE id = ?", (broadcast,)))


@asynccontextmanager
async def running(settings: Settings, fake: FakeTelegram, twilio: FakeTwilio) -> AsyncIterator[Web]:
    """The web process (lifespan, worker and broadcast scheduler running) and a client."""
    async with (
        serve(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        client.headers[SECRET_HEADER] = webhook_secret(settings)
        yield Web(client, fake, twilio, settings.database_path)


async def populate(settings: Settings, people: list[Person]) -> None:
    """Store the users before the process starts."""
    db = await Database.open(settings.database_path)
    try:
        await add_people(db, people, utcnow())
    finally:
        await db.close()


async def admin_at_menu(web: Web) -> None:
    """The Telegram admin has started the bot in English and is at the main menu."""
    await web.telegram(ADMIN, "/start")
    await web.press(ADMIN, "✓ English")
    replies = await web.press(ADMIN, "Not now")
    assert replies[-1].params["text"].startswith("<b>Main menu</b>")
    assert "Announcements" in replies[-1].labels


def recipients_in(preview: str) -> int:
    """The number of recipients a preview announced."""
    found = re.search(r"([\d,]+) recipients:", preview)
    assert found is not None, preview
    return int(found.group(1).replace(",", ""))


def announcement(catalogs: Catalogs, locale: str, channel: str) -> str:
    """The text a recipient should get: their version or the Albanian one, and the stop line."""
    text = SUMMIT.get(locale, SUMMIT["sq"])
    return f"{text}\n\n{stop_line(catalogs.translator(locale), channel)}"


async def test_a_broadcast_across_both_channels_and_four_languages(
    settings: Settings, fake: FakeTelegram, twilio: FakeTwilio, catalogs: Catalogs
) -> None:
    people = crowd(telegram=150, whatsapp=150, outside_every=5)
    people.append(Person("telegram:799999", "el", "GR", opted_out=True))  # not in the audience
    await populate(settings, people)
    async with running(settings, fake, twilio) as web:
        await admin_at_menu(web)
        await web.telegram(ADMIN, "/broadcast")
        await web.telegram(ADMIN, "Diaspora Summit")
        await web.press(ADMIN, "A version per language")
        await web.telegram(ADMIN, SUMMIT["sq"])
        await web.telegram(ADMIN, SUMMIT["it"])
        await web.press(ADMIN, "Skip")  # Greek readers get the Albanian version
        await web.telegram(ADMIN, SUMMIT["en"])
        preview = await web.press(ADMIN, "Continue to the preview")
        stats = preview[-1].params["text"]
        expected = 301  # 300 with announcements on, and the admin
        assert recipients_in(stats) == expected
        assert "30 WhatsApp users are outside the 24-hour window." in stats
        assert "Notice templates: 30 needed, 250 left today (daily cap 250)." in stats
        assert "Cost: about $0.60 ($0.02 each)." in stats
        await web.press(ADMIN, "Send now")
        await web.until(lambda: _equal(web.status(), "done"))
        await web.until(lambda: _true(any("Report on" in t for t in _texts(web, ADMIN))))

        # Each Telegram user got it once, in their language (Greek: the Albanian version).
        for person in people[:150]:
            chat = int(person.key.partition(":")[2])
            assert fake.texts(chat) == [
                f"<b>Diaspora Summit</b>\n{announcement(catalogs, person.locale, 'telegram')}"
            ]
        assert fake.texts(799999) == []
        # WhatsApp users inside the window got it at once; the others one notice each.
        outside = [p for p in people[150:300] if not p.inside_window]
        for person in people[150:300]:
            sent = twilio.bodies(person.key)
            if person.inside_window:
                assert sent == [
                    f"*Diaspora Summit*\n{announcement(catalogs, person.locale, 'whatsapp')}"
                ]
            else:
                assert sent == []

        def notices() -> list[str]:
            return [r.params["To"] for r in twilio.requests if "ContentSid" in r.params]

        await web.until(lambda: _true(len(notices()) >= len(outside)))
        assert sorted(notices()) == sorted(p.key for p in outside)
        assert await web.statuses() == {"sent": 271, "held": 30}

        # When they write, the announcement comes first, in their language.
        for person in outside:
            answer = await web.whatsapp(person.key, "ok")
            assert answer[0] == (
                f"*Diaspora Summit*\n{announcement(catalogs, person.locale, 'whatsapp')}"
            )
        counts = await web.statuses()
        assert counts == {"sent": 301}
        assert counts.get("sent", 0) + counts.get("skipped", 0) == expected  # as previewed

        # The admin followed it in one message, edited in place, then got the report.
        progress = [c for c in fake.sent(ADMIN) if "is being sent" in c.params["text"]]
        assert len(progress) == 1
        edits = fake.sent(ADMIN, "editMessageText")
        assert edits and all(
            int(e.params["message_id"]) == progress[0].result["message_id"] for e in edits
        )
        assert "Announcement 1 has been sent" in edits[-1].params["text"]
        assert "reply_markup" not in edits[-1].params  # no Cancel button once it is done
        [report] = [t for t in _texts(web, ADMIN) if "Report on announcement 1" in t]
        assert "Sent: 271 · failed: 0 · skipped: 0 · held: 30" in report
        assert "30 WhatsApp users were outside the 24-hour window" in report


async def test_cancel_mid_send_while_members_are_answered_at_once(
    settings: Settings, fake: FakeTelegram, twilio: FakeTwilio
) -> None:
    people = crowd(telegram=2500, whatsapp=0)  # two chunks of fan-out
    members = [  # who write during the send (announcements off: their answers stand alone)
        Person("telegram:799998", "en", "IT", announcements=False),
        Person("whatsapp:+393337777777", "it", "IT", announcements=False),
    ]
    await populate(settings, [*people, *members])
    paced = replace(settings, telegram_pace=150.0, whatsapp_pace=10.0)
    async with running(paced, fake, twilio) as web:
        await admin_at_menu(web)
        await web.telegram(ADMIN, "/broadcast")
        await web.press(ADMIN, "No title")
        await web.press(ADMIN, "One text for everyone")
        await web.telegram(ADMIN, "Consular day at the embassy in Rome on Saturday.")
        await web.press(ADMIN, "Continue to the preview")
        await web.press(ADMIN, "Send now")

        def delivered() -> list[Call]:
            return [c for c in fake.sent() if c.chat_id not in (ADMIN, 799998)]

        await fake.wait_for(lambda: len(delivered()) >= 100, 30)
        # A member writing now is answered at once, not after 2,500 announcements.
        member = 799998
        answer, _menu = await web.telegram(member, "/whoami")
        assert answer.params["text"] == f"Your key: telegram:{member}\nYour role: member"
        italian = await web.whatsapp("whatsapp:+393337777777", "/whoami")
        assert italian[0] == "Il Suo identificativo: whatsapp:+393337777777\nIl Suo ruolo: utente"
        assert (await web.statuses()).get("pending", 0) > 1000  # the broadcast still runs
        # A member's forged cancel is refused on both channels.
        refused, _menu = await web.forge(member, "broadcast-cancel:1")
        assert refused.params["text"] == "That part is for staff only."
        assert (await web.whatsapp("whatsapp:+393337777777", "/broadcast 1"))[0] == (
            "Questa sezione è riservata al personale."
        )
        assert await web.status() == "sending"

        # The admin follows the progress message, edited in place, and cancels from it.
        await fake.wait_for(lambda: bool(fake.sent(ADMIN, "editMessageText")), 30)
        edited = fake.sent(ADMIN, "editMessageText")[-1]
        assert "Announcement 1 is being sent" in edited.params["text"]
        assert "remaining:" in edited.params["text"] and "left." in edited.params["text"]
        await web.press(ADMIN, "Cancel the announcement")
        confirmed = (await web.press(ADMIN, "Yes, cancel it"))[0]
        found = re.search(r"Cancelled: ([\d,]+) messages", confirmed.params["text"])
        assert found is not None, confirmed.params["text"]
        stopped = int(found.group(1).replace(",", ""))
        at_cancel = len(delivered())
        await web.until(lambda: _true(any("Report on" in t for t in _texts(web, ADMIN))))
        counts = await web.statuses()
        assert await web.status() == "cancelled"
        assert counts["cancelled"] == stopped > 1000
        assert counts["sent"] + counts["cancelled"] + counts.get("skipped", 0) == 2500 + 1
        assert len(delivered()) - at_cancel <= settings.outbox_batch  # the batch in flight
        assert len({c.chat_id for c in delivered()}) == len(delivered())  # nobody got it twice
        [report] = [t for t in _texts(web, ADMIN) if "Report on announcement 1" in t]
        assert f"cancelled: {stopped:,}" in report
        assert (
            "Announcement 1 was cancelled" in fake.sent(ADMIN, "editMessageText")[-1].params["text"]
        )


async def test_a_scheduled_broadcast_survives_a_restart(
    settings: Settings, fake: FakeTelegram, twilio: FakeTwilio, catalogs: Catalogs
) -> None:
    people = crowd(telegram=20, whatsapp=20)
    await populate(settings, people)
    # Two hours ago (as this process's clock says), an admin in Rome scheduled it for one hour
    # ago: the process then stops, and the time comes while it is down.
    earlier = utcnow() - timedelta(hours=2)
    db = await Database.open(settings.database_path)
    try:
        engine = Engine(db, build_registry(), catalogs, settings, clock=lambda: earlier)
        admin = Chat(engine, f"telegram:{ADMIN}", hint="en")
        await admin.send("/start")
        await admin.press("English")
        await admin.press("later")
        async with db.transaction() as tx:
            await tx.execute(
                "UPDATE users SET time_zone = 'Europe/Rome' WHERE key = ?", (admin.user,)
            )
        await admin.send("/broadcast")
        await admin.press("No title")
        await admin.press("One text for everyone")
        await admin.send("Outreach meeting in Thessaloniki.")
        await admin.press("Continue to the preview")
        await admin.press("Schedule")
        local = (earlier + timedelta(hours=1, minutes=1)).astimezone(ZoneInfo("Europe/Rome"))
        await admin.send(f"{local:%Y-%m-%d %H:%M}")
        await admin.press("Schedule it")
        assert admin.replies[0].text.startswith("Scheduled: announcement 1 goes out on")
        audited = await db.read_all("SELECT action, subject FROM audit_log ORDER BY id")
        assert ("broadcast.confirm_when: yes", "id 1") in [tuple(r) for r in audited]
        scheduler = BroadcastScheduler(db, engine.registry, settings, lambda: None, lambda: earlier)
        assert await scheduler.tick() > 0  # not due yet: it sleeps
        assert await queued(db) == 0
    finally:
        await db.close()

    async with running(settings, fake, twilio) as web:  # the restart, on the real clock
        await web.until(lambda: _equal(web.status(), "done"))
        for person in people[:20]:
            assert len(fake.texts(int(person.key.partition(":")[2]))) == 1
        for person in people[20:]:
            assert twilio.bodies(person.key) == [
                f"Outreach meeting in Thessaloniki.\n\n"
                f"{stop_line(catalogs.translator(person.locale), 'whatsapp')}"
            ]
        await web.until(lambda: _true(any("Report on" in t for t in _texts(web, ADMIN))))


async def test_a_fan_out_interrupted_by_a_crash_adds_only_what_is_missing(
    settings: Settings, fake: FakeTelegram, twilio: FakeTwilio, catalogs: Catalogs
) -> None:
    people = crowd(telegram=30, whatsapp=0)
    await populate(settings, people)
    db = await Database.open(settings.database_path)
    try:  # what a process killed during the fan-out leaves: sending, some rows queued
        engine = Engine(db, build_registry(), catalogs, settings)
        admin = Chat(engine, f"telegram:{ADMIN}", hint="en")
        await admin.send("/start")
        await admin.press("English")
        await admin.press("later")
        await admin.send("/broadcast")
        await admin.press("No title")
        await admin.press("One text for everyone")
        await admin.send("Consular services now online.")
        await admin.press("Continue to the preview")
        await admin.press("Send now")
        async with db.transaction() as tx:
            await tx.execute(
                "UPDATE broadcasts SET status = 'sending', started_at = ?, fanned_out_after = ''",
                (to_db(utcnow()),),
            )
            await rows.fan_out(
                tx,
                "SELECT key FROM users WHERE key LIKE 'telegram:7%'",
                (),
                "",
                12,
                renderer="broadcasts.announce",
                args={"id": 1},
                lane="bulk",
                batch="broadcast:1",
                now=utcnow(),
            )  # twelve rows queued, the progress mark lost with the crash
    finally:
        await db.close()
    async with running(settings, fake, twilio) as web:
        await web.until(lambda: _equal(web.status(), "done"))
        assert await web.statuses() == {"sent": 31}
    for person in people:
        assert len(fake.texts(int(person.key.partition(":")[2]))) == 1


async def test_without_a_notice_template_whatsapp_users_outside_the_window_are_skipped(
    settings: Settings, fake: FakeTelegram, twilio: FakeTwilio
) -> None:
    people = crowd(telegram=0, whatsapp=20, outside_every=2)
    await populate(settings, people)
    bare = replace(settings, twilio_template_sids=None)
    async with running(bare, fake, twilio) as web:
        await admin_at_menu(web)
        await web.telegram(ADMIN, "/broadcast")
        await web.press(ADMIN, "No title")
        await web.press(ADMIN, "One text for everyone")
        await web.telegram(ADMIN, "Passport renewals: see e-albania.al.")
        await web.press(ADMIN, "By country of residence")
        await web.press(ADMIN, "Italy")
        stats = (await web.press(ADMIN, "Continue to the preview"))[-1].params["text"]
        expected = recipients_in(stats)
        assert expected == 4
        assert "No notice template is configured: they will be skipped." in stats
        await web.press(ADMIN, "Send now")
        await web.until(lambda: _equal(web.status(), "done"))
        counts = await web.statuses()
        assert counts.get("sent", 0) + counts.get("skipped", 0) == expected
        reasons = await web.query("SELECT DISTINCT reason FROM outbox WHERE status = 'skipped'")
        assert [r[0] for r in reasons] == ["no notice template configured"]
        await web.until(lambda: _true(any("Report on" in t for t in _texts(web, ADMIN))))
        [report] = [t for t in _texts(web, ADMIN) if "Report on" in t]
        assert "outside the WhatsApp 24-hour window, and no notice template is configured" in report


async def test_an_admin_on_whatsapp_gets_progress_lines_and_the_report(
    settings: Settings, fake: FakeTelegram, twilio: FakeTwilio
) -> None:
    await populate(settings, crowd(telegram=120, whatsapp=0))
    admin = "whatsapp:+393330000001"  # ADMINS in the settings
    async with running(replace(settings, telegram_pace=60.0), fake, twilio) as web:
        await web.whatsapp(admin, "ciao")
        await web.whatsapp(admin, "4")  # English
        menu = await web.whatsapp(admin, "2")  # Not now
        assert "Announcements" in menu[-1]
        assert "/broadcasts" in (await web.whatsapp(admin, "/help"))[0]
        await web.whatsapp(admin, "/broadcast")
        await web.whatsapp(admin, "1")  # No title
        await web.whatsapp(admin, "1")  # One text for everyone
        await web.whatsapp(admin, "Registration for the Diaspora Summit is open.")
        preview = await web.whatsapp(admin, "Continue to the preview")
        assert "1. Send now" in preview[-1]
        assert recipients_in(preview[-1]) == 121
        await web.whatsapp(admin, "1")
        await web.until(lambda: _equal(web.status(), "done"))
        await web.until(lambda: _true(any("Report on" in b for b in twilio.bodies(admin))))
    lines = [b for b in twilio.bodies(admin) if "is being sent" in b]
    assert len(lines) >= 2  # a line at the start, then now and then
    assert all("To cancel it, send /broadcast 1." in line for line in lines)
    assert fake.sent(method="editMessageText") == []


async def _equal(value: Awaitable[object], wanted: object) -> bool:
    """Whether an awaited value is the wanted one (for `until`)."""
    return await value == wanted


async def _true(value: bool) -> bool:
    """A plain condition, for `until`."""
    return value


def _texts(web: Web, chat: int) -> list[str]:
    """Every text sent to a chat, edits included."""
    return [
        str(c.params["text"])
        for c in web.fake.calls
        if c.ok and c.chat_id == chat and "text" in c.params
    ]


def test_the_people_helper_spreads_languages_and_windows() -> None:
    people = crowd(telegram=4, whatsapp=10, outside_every=5)
    assert Counter(p.locale for p in people) == {"sq": 4, "it": 4, "el": 3, "en": 3}
    assert [p.inside_window for p in people[4:]].count(False) == 2


def test_the_console_admin_sends_one_and_sees_it_arrive_with_the_report(tmp_path: Path) -> None:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ADMINS", "OFFICERS", "LOG_", "TELEGRAM_", "TWILIO_", "PUBLIC_URL"))
    }
    environment["PYTHONPATH"] = str(ROOT)
    # English, Not now, then: no title, one text, the text, continue to the preview, send now.
    script = (
        "4\n2\n/broadcast\n1\n1\nOutreach meeting in Bari on Sunday.\nContinue to the preview\n1\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--user", "admin", "--db", str(tmp_path / "demo.sqlite3")],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "*Preview of announcement 1*\n1 recipient:\nConsole: 1 (English 1)" in out
    assert "Announcement 1 is on its way." in out
    assert "🔔\nOutreach meeting in Bari on Sunday.\n\nYou receive this because" in out
    assert "*Report on announcement 1*" in out
    assert done.stderr == ""


async def test_editing_a_message_to_the_same_text_counts_as_done(
    settings: Settings, fake: FakeTelegram
) -> None:
    async with engine_for(settings) as engine, telegram_application(settings, polling=False) as app:
        channel = TelegramChannel(engine, app.bot)
        fake.fail("editMessageText", status=400, description="Bad Request: message is not modified")
        assert await channel.send_reply(ADMIN, Reply("Sent: 3"), edit=41) == [41]
        fake.fail("editMessageText", status=400, description="Bad Request: message not found")
        with pytest.raises(BadRequest):
            await channel.send_reply(ADMIN, Reply("Sent: 4"), edit=41)
