"""/mydata and /delete through the real channels: the JSON file as a Telegram document, the
readable text alone on WhatsApp, and the reply saying the erasure is done reaching the user."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.telegram import webhook_secret
from bot.web import SECRET_HEADER, create_app
from storage.database import Database
from tests import fake_telegram as tg
from tests.fake_telegram import FakeTelegram
from tests.servers import serve
from tests.stack import TOKEN
from tests.test_telegram import post, press
from tests.test_whatsapp import ACCOUNT, AUTH, PUBLIC, SENDER, TEMPLATES, Phone


@pytest.fixture
def settings(db_path: Path, fake: FakeTelegram) -> Settings:
    """Telegram (the fake Bot API) and WhatsApp (signed webhooks; nothing sent out here)."""
    return Settings(
        database_path=db_path,
        public_url=PUBLIC,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.url,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=AUTH,
        twilio_whatsapp_from=SENDER,
        twilio_api_base_url="http://127.0.0.1:9",
        twilio_template_sids=TEMPLATES,
    )


async def users(path: Path, key: str) -> int:
    """Users rows with a key, read after the app stopped."""
    db = await Database.open(path)
    try:
        row = await db.read_one("SELECT count(*) FROM users WHERE key = ?", (key,))
        return int(row[0]) if row else 0
    finally:
        await db.close()


async def test_telegram_gets_the_file_then_the_erasure_is_confirmed(
    fake: FakeTelegram, settings: Settings
) -> None:
    chat = 7301
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        client.headers[SECRET_HEADER] = webhook_secret(settings)
        await post(client, tg.text_update(chat, "/start", "en"), 1)
        await post(client, await press(fake, chat, "✓ English"), 2)
        await post(client, await press(fake, chat, "I agree"), 3)
        await post(client, await press(fake, chat, "Skip"), 4)
        await post(client, tg.text_update(chat, "/mydata", "en"), 5)
        [document] = fake.sent(chat, "sendDocument")
        data = json.loads(document.params["document"])
        assert data["key"] == f"telegram:{chat}"
        assert data["tables"]["users"][0]["locale"] == "en"
        await post(client, tg.text_update(chat, "/delete", "en"), 6)
        assert "This cannot be undone." in fake.texts(chat)[-1]
        answer = await post(client, await press(fake, chat, "Yes, delete everything"), 7)
        assert answer.status_code == 200
        assert fake.texts(chat)[-1] == (
            "<b>Your data is deleted</b>\nDone: everything we stored about you is deleted."
            " Thank you for having used this service; you are welcome back at any time."
        )
    assert await users(settings.database_path, f"telegram:{chat}") == 0


async def test_whatsapp_gets_the_readable_text_and_a_fresh_start_after_erasure(
    settings: Settings,
) -> None:
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        phone = Phone(client, "+393337300001")
        await phone.send("hello")
        await phone.send("4")  # English
        await phone.send("1")  # I agree
        await phone.send("10")  # skip the profile
        await phone.send("/mydata")
        assert f"Your key: {phone.number}" in phone.text
        assert "WhatsApp does not let us send you a file here" in phone.text
        await phone.send("/delete")
        assert "1. Yes, delete everything\n2. No, keep my data" in phone.text
        await phone.send("1")
        assert phone.messages == [
            "*Your data is deleted*\nDone: everything we stored about you is deleted. Thank you"
            " for having used this service; you are welcome back at any time."
        ]
        await phone.send("hello")
        assert phone.messages[0].startswith("*Gjuha · Lingua · Γλώσσα · Language*")
