"""What every long-running process shares: the database, the engine, the Telegram application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from telegram.ext import Application, ApplicationBuilder

from bot import outbox
from bot.broadcasts import BroadcastScheduler
from bot.config import ConfigError, Settings
from bot.digests import DigestScheduler
from bot.engine import Engine
from bot.i18n import Catalogs
from bot.outbox import OutboxWorker, Sender
from bot.registry import Registry
from handlers import build_registry
from storage.database import Database

CONCURRENT_UPDATES = 64  # updates of different users in flight at once; one user's stay in order


@asynccontextmanager
async def engine_for(
    settings: Settings, registry: Registry | None = None, path: Path | None = None
) -> AsyncIterator[Engine]:
    """An engine on the configured database, which is always closed at the end."""
    db = await Database.open(path or settings.database_path)
    try:
        yield Engine(
            db,
            registry or build_registry(),
            Catalogs(),
            settings,
            before=[outbox.release_held],
            after=[outbox.resume_held],
        )
    finally:
        await db.close()


@asynccontextmanager
async def worker_for(
    engine: Engine, senders: Sequence[Sender], drain: bool = False
) -> AsyncIterator[OutboxWorker]:
    """The outbox worker for these channels, with the broadcast and digest schedulers beside it,
    woken by the engine's commits, always stopped (after sending what is due, with `drain`: the
    console shows its notices before it ends)."""
    worker = OutboxWorker(engine.db, engine.registry, engine.catalogs, engine.settings, senders)
    # Broadcasts are scheduled in the database; this fans them out beside the worker.
    scheduler = BroadcastScheduler(engine.db, engine.registry, engine.settings, worker.wake)
    # Each admin's next digest is a row that waits; this queues the following week's in turn.
    digests = DigestScheduler(engine.db, engine.settings, worker.wake)

    def wake() -> None:
        worker.wake()
        scheduler.wake()

    engine.on_notify = wake
    await worker.start()
    await scheduler.start()
    await digests.start()
    try:
        yield worker
    finally:
        engine.on_notify = None
        await digests.stop()
        await scheduler.stop(drain)
        await worker.stop(drain)
        if drain:  # a broadcast that drain finished gets its report before the console ends
            await scheduler.tick()
            await worker.stop(drain)


def telegram_application(settings: Settings, *, polling: bool) -> Application:  # type: ignore[type-arg]
    """A python-telegram-bot application, pointed at another Bot API server if configured."""
    if not settings.telegram_bot_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN", "required for Telegram")
    builder = ApplicationBuilder().token(settings.telegram_bot_token)
    if settings.telegram_api_base_url:
        root = settings.telegram_api_base_url
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    if not polling:
        builder = builder.updater(None)
    return builder.concurrent_updates(CONCURRENT_UPDATES).build()


def require_polling(settings: Settings) -> None:
    """`polling` needs a bot token."""
    if not settings.telegram_bot_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN", "required for polling")


def require_web(settings: Settings) -> None:
    """`web` needs at least one channel, and the public URL the platforms will call."""
    if not settings.telegram_bot_token and not settings.twilio_account_sid:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN", "web needs a channel: set it, or the TWILIO_ settings"
        )
    if not settings.public_url:
        raise ConfigError("PUBLIC_URL", "required for web (the https address the platforms call)")
