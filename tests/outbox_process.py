"""A real process running the outbox worker on the sample flows, for the crash test.

    python -m tests.outbox_process DATABASE FAKE_TELEGRAM_URL

It sends until no row is pending or claimed, then exits 0; the test kills it with SIGKILL midway.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.config import Settings
from bot.runtime import engine_for, telegram_application, worker_for
from bot.telegram import TelegramChannel, TelegramSender
from tests import sample_flows

TOKEN = "123456789:AAE1bcdefghijklmnopqrstuvwxyz012345"


async def main(database: Path, api: str) -> None:
    """Send every due row through Telegram, then stop."""
    settings = Settings(
        flood_messages=10_000,  # tests send fast; flood control has its own tests
        database_path=database,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api,
        telegram_pace=150.0,
        telegram_chat_pace=0.0,
        outbox_batch=20,
    )
    async with engine_for(settings, sample_flows.registry()) as engine:
        application = telegram_application(settings, polling=False)
        async with application:
            sender = TelegramSender(TelegramChannel(engine, application.bot))
            async with worker_for(engine, [sender]):
                while True:
                    left = await engine.db.read_one(
                        "SELECT count(*) FROM outbox WHERE status IN ('pending', 'claimed')"
                    )
                    if left is not None and left[0] == 0:
                        break
                    await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
