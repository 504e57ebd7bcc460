"""`python -m bot polling`: Telegram long polling, for development."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Update
from telegram.ext import CallbackContext, TypeHandler

from bot.config import Settings
from bot.runtime import engine_for, telegram_application, worker_for
from bot.telegram import ALLOWED_UPDATES, TelegramChannel, TelegramSender, configure

log = logging.getLogger(__name__)


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Poll until `stop` is set (or SIGINT/SIGTERM); updates of different users run concurrently."""
    stop = stop or _stop_on_signals()
    async with engine_for(settings) as engine:
        application = telegram_application(settings, polling=True)
        channel = TelegramChannel(engine, application.bot)

        async def on_update(update: object, context: CallbackContext) -> None:  # type: ignore[type-arg]
            if isinstance(update, Update):
                await channel.process(update)

        async def on_error(update: object, context: CallbackContext) -> None:  # type: ignore[type-arg]
            log.error("an update could not be processed", exc_info=context.error)

        application.add_handler(TypeHandler(Update, on_update))
        application.add_error_handler(on_error)
        async with application, worker_for(engine, [TelegramSender(channel)]):
            await application.bot.delete_webhook()
            await configure(application.bot, engine)
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=list(ALLOWED_UPDATES))
            await application.start()
            log.info("polling Telegram as @%s", application.bot.username)
            await stop.wait()
            await application.updater.stop()
            await application.stop()


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
