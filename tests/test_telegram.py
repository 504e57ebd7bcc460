"""The Telegram channel through the real python-telegram-bot and a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
import pytest

from bot import polling
from bot.config import Settings
from bot.i18n import Catalogs
from bot.messages import Attachment, Button, Reply
from bot.runtime import engine_for, telegram_application
from bot.telegram import TelegramChannel, webhook_secret
from bot.web import SECRET_HEADER, create_app
from tests import fake_telegram as tg
from tests import sample_flows
from tests.fake_telegram import Call, FakeTelegram
from tests.servers import serve

TOKEN = "123456789:AAE1bcdefghijklmnopqrstuvwxyz012345"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(db_path: Path, fake: FakeTelegram) -> Settings:
    """A Telegram deployment pointed at the fake server."""
    return Settings(
        flood_messages=10_000,  # tests send fast; flood control has its own tests
        database_path=db_path,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.url,
        public_url="https://bot.example.org",
        admins=frozenset({"telegram:1"}),
    )


@pytest.fixture
async def polled(fake: FakeTelegram, settings: Settings) -> AsyncIterator[FakeTelegram]:
    """The bot polling the fake server until the test ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(polling.run(settings, stop))
    await fake.wait_for(lambda: any(c.method == "getUpdates" for c in fake.calls))
    yield fake
    stop.set()
    await asyncio.wait_for(task, 20)


def last_keyboard(fake: FakeTelegram, chat_id: int) -> Call:
    """The last message with a keyboard sent to a chat."""
    return [c for c in fake.sent(chat_id) if c.keyboard][-1]


async def press(
    fake: FakeTelegram, chat_id: int, label: str, language: str = "en"
) -> dict[str, Any]:
    """Press a button of the last keyboard by its label (as the Telegram app would)."""
    call = last_keyboard(fake, chat_id)
    data = next(b["callback_data"] for row in call.keyboard for b in row if b["text"] == label)
    return tg.callback_update(chat_id, data, call.result["message_id"], language)


async def exchange(
    fake: FakeTelegram, update: dict[str, Any], chat_id: int, replies: int = 1
) -> list[Call]:
    """Push an update and wait for this many new messages to the chat."""
    before = len(fake.sent(chat_id))
    await fake.push(update)
    await fake.wait_for(lambda: len(fake.sent(chat_id)) >= before + replies)
    return fake.sent(chat_id)[before:]


async def test_polling_first_contact_end_to_end(polled: FakeTelegram, settings: Settings) -> None:
    fake, chat = polled, 5001
    [picker] = await exchange(fake, tg.text_update(chat, "/start", "el"), chat)
    assert picker.params["parse_mode"] == "HTML"
    assert picker.params["text"].startswith("<b>Gjuha · Lingua · Γλώσσα · Language</b>\n")
    assert picker.labels == ["Shqip", "Italiano", "✓ Ελληνικά", "English"]
    replies = await exchange(fake, await press(fake, chat, "✓ Ελληνικά", "el"), chat, replies=3)
    assert replies[0].params["text"] == "Από εδώ και πέρα θα σας γράφω στα ελληνικά."
    assert replies[2].labels == ["Συμφωνώ", "Όχι τώρα"]
    assert fake.sent(method="answerCallbackQuery")
    await fake.wait_for(lambda: bool(fake.sent(chat, "editMessageReplyMarkup")))  # buttons removed
    replies = await exchange(fake, await press(fake, chat, "Συμφωνώ", "el"), chat, replies=2)
    assert "Ελλάδα" in replies[-1].labels and len(replies[-1].keyboard[0]) == 2  # two a row
    await exchange(fake, await press(fake, chat, "Ελλάδα", "el"), chat)
    replies = await exchange(fake, tg.text_update(chat, "Θεσσαλονίκη <b>&", "el"), chat, replies=2)
    assert "Θεσσαλονίκη &lt;b&gt;&amp;" in replies[0].params["text"]  # user text escaped
    assert replies[1].params["text"].startswith("<b>Κεντρικό μενού</b>")
    assert replies[1].labels == [
        "Εκδηλώσεις",
        "Προξενική βοήθεια",
        "Ιδέες για έργα",
        "Ρυθμίσεις",
        "Βοήθεια",
    ]


async def test_commands_and_descriptions_are_set_per_language_and_role(
    polled: FakeTelegram,
) -> None:
    fake = polled
    await fake.wait_for(lambda: len(fake.sent(method="setMyShortDescription")) >= 4)
    commands = fake.sent(method="setMyCommands")
    languages = sorted(
        c.params.get("language_code", "default") for c in commands if "scope" not in c.params
    )
    assert languages == ["default", "el", "it", "sq"]
    admin = [c for c in commands if "scope" in c.params]
    assert json.loads(admin[0].params["scope"]) == {"type": "chat", "chat_id": 1}
    assert "roles" in json.dumps(json.loads(admin[0].params["commands"]))
    members = next(c for c in commands if c.params.get("language_code") == "it")
    names = [c["command"] for c in json.loads(members.params["commands"])]
    assert "roles" not in names and "whoami" in names
    descriptions = {
        c.params.get("language_code", "en"): c.params["description"]
        for c in fake.sent(method="setMyDescription")
    }
    assert "Diaspora" in descriptions["en"] and descriptions["sq"] != descriptions["en"]


async def test_one_users_quick_messages_are_answered_in_order(polled: FakeTelegram) -> None:
    fake, chat = polled, 5002
    await exchange(fake, tg.text_update(chat, "/start"), chat)
    await exchange(fake, await press(fake, chat, "✓ English"), chat, replies=3)
    await exchange(fake, await press(fake, chat, "I agree"), chat, replies=2)
    await exchange(fake, await press(fake, chat, "Another country"), chat)
    before = len(fake.sent(chat))
    for i in range(12):
        await fake.push(tg.text_update(chat, f"Atlantis{i}"))
    await fake.wait_for(lambda: len(fake.sent(chat)) >= before + 24)
    texts = [t for t in fake.texts(chat)[before:] if "Atlantis" in t]
    assert texts == [
        f"I could not find a country called “Atlantis{i}”. Please check the spelling."
        for i in range(12)
    ]


async def test_stickers_photos_voice_and_locations_get_a_polite_reply(
    polled: FakeTelegram, catalogs: Catalogs
) -> None:
    fake, chat = polled, 5003
    polite = catalogs.translator("it").t(
        "I can read only text. Please type your answer or choose an option."
    )
    assert polite.startswith("Posso")
    await exchange(fake, tg.text_update(chat, "/start", "it"), chat)
    for kind in ("sticker", "photo", "voice", "location", "contact"):
        replies = await exchange(fake, tg.content_update(chat, kind, "it"), chat, replies=2)
        assert replies[0].params["text"] == polite
        assert replies[1].labels[1] == "✓ Italiano"


async def test_edited_messages_are_ignored(polled: FakeTelegram) -> None:
    fake, chat = polled, 5004
    await exchange(fake, tg.text_update(chat, "/start"), chat)
    before = len(fake.calls)
    await fake.push(tg.edited_update(chat, "changed my mind"))
    marker = 5005
    await exchange(fake, tg.text_update(marker, "/start"), marker)  # processed after the edit
    assert not [c for c in fake.calls[before:] if c.chat_id == chat]


async def test_group_chat_start_gets_a_private_link_and_nothing_else(polled: FakeTelegram) -> None:
    fake, group = polled, -100200
    [reply] = await exchange(
        fake, tg.text_update(group, "/start", "sq", chat_type="supergroup"), group
    )
    assert "https://t.me/diaspora_test_bot?start=group" in reply.params["text"]
    await fake.push(tg.text_update(group, "hello everyone", chat_type="supergroup"))
    await fake.push(tg.text_update(group, "/start@someone_else_bot", chat_type="supergroup"))
    await exchange(fake, tg.text_update(5006, "/start"), 5006)
    assert len(fake.sent(group)) == 1


async def test_unknown_and_forged_payloads_get_the_current_prompt(polled: FakeTelegram) -> None:
    fake, chat = polled, 5007
    await exchange(fake, tg.text_update(chat, "/start"), chat)
    for data in ("garbage", "#notAStoredKey00000", "~1~en", "x" * 64):
        replies = await exchange(fake, tg.callback_update(chat, data), chat, replies=2)
        assert (
            replies[0].params["text"] == "That menu is no longer active. Here is where we are now."
        )
        assert "✓ English" in replies[1].labels
    assert len(fake.sent(method="answerCallbackQuery")) >= 4


async def test_long_payloads_travel_under_a_stored_key(
    fake: FakeTelegram, settings: Settings
) -> None:
    long_payload = "event:" + "9" * 80
    async with engine_for(settings) as engine:
        application = telegram_application(settings, polling=False)
        async with application:
            channel = TelegramChannel(engine, application.bot)
            await channel.send(
                6001, [Reply("pick", buttons=(Button("Open", long_payload, route=True),))]
            )
            data = fake.sent(6001)[0].keyboard[0][0]["callback_data"]
            assert len(data.encode()) <= 64 and data.startswith("#")
            from telegram import Update

            update = Update.de_json(
                {"update_id": 77, **tg.callback_update(6001, data)}, application.bot
            )
            incoming = await channel.incoming(update)
            assert incoming is not None and incoming.payload == long_payload


async def test_long_replies_are_split_and_files_sent(
    fake: FakeTelegram, settings: Settings
) -> None:
    text = "\n".join(f"Line {i}: " + "ë" * 90 for i in range(100))  # about 10,000 characters
    async with engine_for(settings) as engine:
        application = telegram_application(settings, polling=False)
        async with application:
            channel = TelegramChannel(engine, application.bot)
            reply = Reply(
                text,
                title="Long",
                buttons=(Button("OK", "ok"),),
                attachment=Attachment("invite.ics", "text/calendar", b"BEGIN:VCALENDAR"),
            )
            await channel.send(
                6002, [reply, Reply("", attachment=Attachment("code.png", "image/png", b"\x89PNG"))]
            )
    pieces = fake.texts(6002)
    assert len(pieces) == 3 and all(len(p) <= 4096 for p in pieces)
    assert pieces[0].startswith("<b>Long</b>\nLine 0:")
    assert "\n".join(pieces).replace("<b>Long</b>\n", "") == text
    assert [bool(c.keyboard) for c in fake.sent(6002)] == [False, False, True]
    assert fake.sent(6002, "sendDocument")[0].params["document"] == b"BEGIN:VCALENDAR"
    assert fake.sent(6002, "sendPhoto")[0].params["photo"] == b"\x89PNG"


async def test_a_403_marks_the_user_unreachable(polled: FakeTelegram, settings: Settings) -> None:
    fake, chat = polled, 5008
    await exchange(fake, tg.text_update(chat, "/start"), chat)
    fake.fail("sendMessage", chat, status=403)
    await fake.push(tg.text_update(chat, "hello"))
    await fake.wait_for(lambda: any(not c.ok and c.chat_id == chat for c in fake.calls))
    for _ in range(200):
        if await unreachable_reason(settings, chat) == "telegram: blocked by the user":
            break
        await asyncio.sleep(0.05)  # the mark is written right after the failed send
    assert await unreachable_reason(settings, chat) == "telegram: blocked by the user"
    await exchange(fake, tg.text_update(chat, "I unblocked you"), chat)  # writing again clears it
    assert await unreachable_reason(settings, chat) is None


async def test_a_429_is_waited_out(polled: FakeTelegram) -> None:
    fake, chat = polled, 5009
    fake.fail(
        "sendMessage",
        chat,
        status=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
    )
    start = time.monotonic()
    [picker] = await exchange(fake, tg.text_update(chat, "/start"), chat)
    assert time.monotonic() - start >= 1.0
    assert "✓ English" in picker.labels


async def test_deep_links_fall_back_to_a_normal_start(polled: FakeTelegram) -> None:
    fake, chat = polled, 5010
    [picker] = await exchange(fake, tg.text_update(chat, "/start event-42"), chat)
    assert "✓ English" in picker.labels
    await exchange(fake, tg.text_update(chat, "/start " + "z" * 300), chat)


# -- the web process ------------------------------------------------------------------------------


@pytest.fixture
async def web(fake: FakeTelegram, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real web app, its lifespan running in this loop under uvicorn, and a client for it."""
    registry = sample_flows.registry()
    async with (
        serve(create_app(settings, registry)) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        client.headers[SECRET_HEADER] = webhook_secret(settings)
        yield client


async def test_webhook_first_contact_end_to_end_with_the_real_flows(
    fake: FakeTelegram, settings: Settings
) -> None:
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        client.headers[SECRET_HEADER] = webhook_secret(settings)
        chat = 7100
        assert (await post(client, tg.text_update(chat, "/start", "it"), 1)).status_code == 200
        assert fake.sent(chat)[-1].labels == ["Shqip", "✓ Italiano", "Ελληνικά", "English"]
        await post(client, await press(fake, chat, "✓ Italiano", "it"), 2)
        assert fake.texts(chat)[-3] == "D'ora in poi Le scriverò in italiano."
        assert fake.sent(chat)[-1].labels == ["Accetto", "Non ora"]
        await post(client, await press(fake, chat, "Accetto", "it"), 3)
        await post(client, await press(fake, chat, "Italia", "it"), 4)
        await post(client, tg.text_update(chat, "Bari", "it"), 5)
        assert "Bari" in fake.texts(chat)[-2]
        assert fake.texts(chat)[-1].startswith("<b>Menu principale</b>")
        assert fake.sent(chat)[-1].labels == [
            "Eventi",
            "Assistenza consolare",
            "Idee di progetto",
            "Impostazioni",
            "Aiuto",
        ]


async def post(
    client: httpx.AsyncClient, update: dict[str, Any], update_id: int, **headers: str
) -> httpx.Response:
    """POST one update to /telegram."""
    return await client.post("/telegram", json={"update_id": update_id, **update}, headers=headers)


async def test_webhook_is_registered_with_its_secret(
    web: httpx.AsyncClient, fake: FakeTelegram, settings: Settings
) -> None:
    [call] = fake.sent(method="setWebhook")
    assert call.params["url"] == "https://bot.example.org/telegram"
    assert call.params["secret_token"] == webhook_secret(settings)
    health = (await web.get("/healthz")).json()
    assert (health["status"], health["database"]) == ("ok", "ok")


async def test_telegram_only_has_no_whatsapp_route(web: httpx.AsyncClient) -> None:
    response = await web.post("/whatsapp", data={"From": "whatsapp:+39333", "Body": "hi"})
    assert response.status_code == 404


async def test_webhook_processes_an_update_before_answering(
    web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    response = await post(web, tg.text_update(7001, "/start"), 1)
    assert response.status_code == 200
    assert fake.texts(7001) == ["hello", "Menu"]  # sent before the 200
    response = await post(web, await press(fake, 7001, "Form"), 2)
    assert response.status_code == 200 and fake.texts(7001)[-1] == "Pick"


@pytest.mark.parametrize("secret", [None, "wrong", ""])
async def test_webhook_refuses_a_missing_or_wrong_secret(
    web: httpx.AsyncClient, fake: FakeTelegram, secret: str | None
) -> None:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    web.headers.pop(SECRET_HEADER)
    response = await web.post(
        "/telegram", json={"update_id": 5, **tg.text_update(7002, "/start")}, headers=headers
    )
    assert response.status_code == 403
    assert fake.sent(7002) == []


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "x"}', b"{"]
)
async def test_webhook_answers_400_to_a_body_that_is_not_an_update(
    web: httpx.AsyncClient, body: bytes
) -> None:
    response = await web.post(
        "/telegram", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_webhook_redelivery_is_processed_once(
    web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    assert (await post(web, tg.text_update(7003, "/start"), 10)).status_code == 200
    update = await press(fake, 7003, "Counter")
    for _ in range(3):
        assert (await post(web, update, 11)).status_code == 200
    assert fake.texts(7003) == ["hello", "Menu", "say something"]


async def test_a_failed_delivery_answers_500_and_the_redelivery_sends_the_stored_replies(
    web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    assert (await post(web, tg.text_update(7004, "/start"), 20)).status_code == 200
    await post(web, await press(fake, 7004, "Counter"), 21)
    fake.fail("sendMessage", 7004, status=500, description="Internal Server Error")
    update = tg.text_update(7004, "one")
    assert (await post(web, update, 22)).status_code == 500
    assert (await post(web, update, 22)).status_code == 200
    assert fake.texts(7004)[-2:] == ["seen one (1)", "say something"]  # counted once


async def test_a_failure_inside_the_engine_answers_500_then_the_redelivery_is_processed(
    web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    assert (await post(web, tg.text_update(7005, "/start"), 30)).status_code == 200
    await post(web, await press(fake, 7005, "Form"), 31)  # any prompt, then the flaky route
    await post(web, tg.callback_update(7005, "flaky"), 32)
    assert fake.texts(7005)[-1] == "flaky?"
    update = tg.text_update(7005, f"attempt-{os.getpid()}")
    assert (await post(web, update, 33)).status_code == 500
    assert (await post(web, update, 33)).status_code == 200
    assert fake.texts(7005)[-2] == f"flaky ok attempt-{os.getpid()}"


def answers(fake: FakeTelegram, update: dict[str, Any]) -> int:
    """How many times a button press's callback query was answered."""
    query = update["callback_query"]["id"]
    return sum(
        1
        for c in fake.sent(method="answerCallbackQuery")
        if c.params.get("callback_query_id") == query
    )


async def test_every_delivery_of_a_press_is_answered_once_even_a_duplicate(
    web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    assert (await post(web, tg.text_update(7006, "/start"), 40)).status_code == 200
    update = await press(fake, 7006, "Counter")
    for delivery in range(1, 4):  # Telegram delivers it again when our 200 did not reach it
        assert (await post(web, update, 41)).status_code == 200
        assert answers(fake, update) == delivery  # no spinner left, the replies not sent again
    assert fake.texts(7006) == ["hello", "Menu", "say something"]


async def test_a_press_whose_replies_fail_is_answered_once(
    web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    assert (await post(web, tg.text_update(7007, "/start"), 50)).status_code == 200
    update = await press(fake, 7007, "Counter")
    fake.fail("sendMessage", 7007, status=500, description="Internal Server Error")
    assert (await post(web, update, 51)).status_code == 500
    assert answers(fake, update) == 1  # answered before the send failed, not again after
    assert (await post(web, update, 51)).status_code == 200
    assert answers(fake, update) == 2 and fake.texts(7007)[-1] == "say something"


async def test_presses_while_flood_control_is_silent_are_still_answered(
    fake: FakeTelegram, settings: Settings
) -> None:
    from dataclasses import replace

    quick = replace(
        settings, flood_messages=2, flood_window_seconds=3600, flood_cooldown_seconds=3600
    )
    async with (
        serve(create_app(quick, sample_flows.registry())) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        client.headers[SECRET_HEADER] = webhook_secret(quick)
        assert (await post(client, tg.text_update(7008, "/start"), 60)).status_code == 200
        presses = [await press(fake, 7008, "Counter") for _ in range(4)]
        for update_id, update in enumerate(presses, 61):
            assert (await post(client, update, update_id)).status_code == 200
        assert [answers(fake, u) for u in presses] == [1, 1, 1, 1]
    texts = fake.texts(7008)
    assert texts[-1].startswith("You are sending many messages very fast.")  # said once
    assert sum(t.startswith("You are sending many") for t in texts) == 1


# -- helpers ----------------------------------------------------------------------------------


async def unreachable_reason(settings: Settings, chat: int) -> str | None:
    """A chat's unreachable mark, read on a read-only connection while the bot runs."""
    async with aiosqlite.connect(f"file:{settings.database_path}?mode=ro", uri=True) as conn:
        rows = list(
            await conn.execute_fetchall(
                "SELECT unreachable_reason FROM users WHERE key = ?", (f"telegram:{chat}",)
            )
        )
    return None if not rows else rows[0][0]


# -- the real process, for the logs ----------------------------------------------------------------


async def test_the_token_never_reaches_the_logs(fake: FakeTelegram, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM", "ADMINS", "LOG_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.url,
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        LOG_LEVEL="DEBUG",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "polling",
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: any(c.method == "getUpdates" for c in fake.calls), 30)
        await exchange(fake, tg.text_update(8001, "/start"), 8001)
        fake.fail("sendMessage", 8001, status=400, description=f"Bad Request: token {TOKEN}")
        await fake.push(tg.text_update(8001, "1"))
        await fake.wait_for(lambda: any(not c.ok for c in fake.calls))
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    logs = (out + err).decode()
    assert process.returncode == 0, logs[-2000:]
    assert "getUpdates" in logs or "polling Telegram" in logs  # the logs did say things
    assert TOKEN not in logs
    assert TOKEN.split(":")[1] not in logs


async def test_users_are_served_concurrently(polled: FakeTelegram) -> None:
    fake, slow, quick = polled, 5011, 5012
    fake.fail("sendMessage", slow, status=429, description="Too Many Requests", retry_after=1)
    await fake.push(tg.text_update(slow, "/start"))
    await fake.wait_for(lambda: any(not c.ok and c.chat_id == slow for c in fake.calls))
    await exchange(fake, tg.text_update(quick, "/start"), quick)  # while the slow one waits
    assert not fake.sent(slow)
    await fake.wait_for(lambda: bool(fake.sent(slow)))


async def test_sigterm_finishes_the_update_in_flight_and_closes_the_database(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM", "ADMINS", "LOG_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.url,
        TELEGRAM_WEBHOOK_SECRET="s3cret",
        PUBLIC_URL="https://bot.example.org",
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        HOST="127.0.0.1",
        PORT=str(port),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "web",
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await fake.wait_for(lambda: bool(fake.sent(method="setWebhook")), 30)
            await wait_until(lambda: healthy(client))
            fake.fail(
                "sendMessage", 9001, status=429, description="Too Many Requests", retry_after=1
            )
            request = asyncio.create_task(
                client.post(
                    "/telegram",
                    json={"update_id": 1, **tg.text_update(9001, "/start")},
                    headers={SECRET_HEADER: "s3cret"},
                    timeout=30,
                )
            )
            await fake.wait_for(lambda: any(not c.ok for c in fake.calls))  # in flight, waiting
            process.send_signal(signal.SIGTERM)
            response = await request
    finally:
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert response.status_code == 200, err.decode()[-2000:]
    assert fake.sent(9001)  # the reply went out before the process ended
    # uvicorn re-raises the signal once it has shut down cleanly, as a service manager expects.
    assert process.returncode in (0, -signal.SIGTERM)
    assert "stopped: channels closed, database closed" in err.decode()
    from storage.database import Database

    db = await Database.open(tmp_path / "bot.sqlite3")  # the lock file was released
    await db.close()


def free_port() -> int:
    """A port nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def healthy(client: httpx.AsyncClient) -> bool:
    """Whether the web process answers /healthz."""
    try:
        return (await client.get("/healthz")).status_code == 200
    except httpx.TransportError:
        return False


async def wait_until(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    """Poll an async condition the fake server cannot see, with a deadline."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_a_long_label_has_its_own_row_and_short_ones_still_pair(
    polled: FakeTelegram,
) -> None:
    fake, chat = polled, 1  # an admin (ADMINS in the test settings): a long menu, in Albanian
    await exchange(fake, tg.text_update(chat, "/start", "sq"), chat)
    await exchange(fake, await press(fake, chat, "✓ Shqip", "sq"), chat, replies=3)
    replies = await exchange(fake, await press(fake, chat, "Jo tani", "sq"), chat, replies=2)
    rows = [[b["text"] for b in row] for row in replies[-1].keyboard]
    assert ["Shqyrto idetë e projekteve"] in rows  # over 20 characters: alone
    assert any(len(row) == 2 for row in rows)  # the short ones still two a row
    assert [label for row in rows for label in row] == replies[-1].labels  # order kept
