"""The whole bot for end-to-end tests: engine, Telegram and WhatsApp senders, the outbox worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from bot.config import Settings
from bot.engine import Engine
from bot.i18n import LOCALES
from bot.outbox import OutboxWorker, Sender
from bot.registry import Registry
from bot.runtime import engine_for, telegram_application, worker_for
from bot.telegram import TelegramChannel, TelegramSender
from bot.whatsapp import WhatsAppOutbox, WhatsAppSender
from storage.database import Database

TOKEN = "123456789:AAE1bcdefghijklmnopqrstuvwxyz012345"
ACCOUNT = "AC" + "0123456789abcdef" * 2
AUTH = "fedcba9876543210" * 2
SENDER = "whatsapp:+14155238886"
TEMPLATES = {locale: f"HX{i:032d}" for i, locale in enumerate(LOCALES)}


def both_channels(db_path: Path, telegram_url: str, twilio_url: str, **extra: object) -> Settings:
    """Telegram and WhatsApp pointed at the fakes, paces off unless given."""
    values: dict[str, object] = {
        "database_path": db_path,
        "public_url": "https://bot.example.org",
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": telegram_url,
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": AUTH,
        "twilio_whatsapp_from": SENDER,
        "twilio_api_base_url": twilio_url,
        "twilio_template_sids": TEMPLATES,
        "telegram_pace": 0.0,
        "telegram_chat_pace": 0.0,
        "whatsapp_pace": 0.0,
        "flood_messages": 10_000,  # tests send fast; flood control has its own tests
        **extra,
    }
    return Settings(**values)  # type: ignore[arg-type]


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Database]:
    """The settings' database, open for preparing or inspecting it beside the bot, then closed."""
    db = await Database.open(settings.database_path)
    try:
        yield db
    finally:
        await db.close()


@asynccontextmanager
async def running(
    settings: Settings, registry: Registry | None = None
) -> AsyncIterator[tuple[Engine, OutboxWorker]]:
    """The engine and a worker sending through both channels, stopped at the end."""
    async with AsyncExitStack() as stack:
        engine = await stack.enter_async_context(engine_for(settings, registry))
        application = telegram_application(settings, polling=False)
        await stack.enter_async_context(application)
        whatsapp = WhatsAppSender.create(settings, engine.catalogs)
        stack.push_async_callback(whatsapp.close)
        senders: list[Sender] = [
            TelegramSender(TelegramChannel(engine, application.bot)),
            WhatsAppOutbox(whatsapp),
        ]
        worker = await stack.enter_async_context(worker_for(engine, senders))
        yield engine, worker
