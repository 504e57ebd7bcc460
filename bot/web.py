"""`python -m bot web`: the production process, one Starlette app serving every channel."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.config import Settings
from bot.registry import Registry
from bot.runtime import engine_for, telegram_application
from bot.telegram import ALLOWED_UPDATES, TelegramChannel, configure, webhook_secret

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Channels:
    """What the lifespan started, for the routes to use."""

    def __init__(self) -> None:
        self.telegram: TelegramChannel | None = None
        self.engine: Any = None


def create_app(settings: Settings, registry: Registry | None = None) -> Starlette:
    """The web app: the webhooks of the configured channels and /healthz."""
    channels = Channels()
    secret = webhook_secret(settings) if settings.telegram_bot_token else ""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = await stack.enter_async_context(engine_for(settings, registry))
            channels.engine = engine
            if settings.telegram_bot_token:
                application = telegram_application(settings, polling=False)
                await stack.enter_async_context(application)
                await application.start()
                stack.push_async_callback(application.stop)
                await application.bot.set_webhook(
                    url=f"{settings.public_url}/telegram",
                    secret_token=secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
                await configure(application.bot, engine)
                channels.telegram = TelegramChannel(engine, application.bot)
                log.info("Telegram webhook set for @%s", application.bot.username)
            else:
                log.info("no TELEGRAM_BOT_TOKEN: Telegram is off")
            yield
            channels.telegram = None  # in-flight requests have finished: uvicorn waited for them
        log.info("stopped: channels closed, database closed")

    async def telegram(request: Request) -> Response:
        """A Telegram update: 200 only after the commit and the replies; 500 to have it resent."""
        channel = channels.telegram
        if channel is None:
            return PlainTextResponse("Telegram is not configured", status_code=404)
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = json.loads(await request.body())
            update = Update.de_json(data, channel.bot) if isinstance(data, dict) else None
        except Exception:  # malformed JSON or a payload PTB cannot read
            update = None
        if update is None or not isinstance(data.get("update_id"), int):
            return PlainTextResponse("not a Telegram update", status_code=400)
        try:
            await channel.process(update)
        except Exception:
            log.exception("update %s failed; Telegram will deliver it again", update.update_id)
            return PlainTextResponse("processing failed", status_code=500)
        return PlainTextResponse("ok")

    async def healthz(request: Request) -> Response:
        """200 and a small JSON body when the database answers."""
        try:
            await channels.engine.db.read_one("SELECT 1")
        except Exception:
            return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    routes = [Route("/telegram", telegram, methods=["POST"]), Route("/healthz", healthz)]
    return Starlette(routes=routes, lifespan=lifespan)


def run(settings: Settings) -> None:
    """Serve until SIGTERM: uvicorn stops taking requests, finishes those in flight, then the
    lifespan closes the channels and the database."""
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # our logging, with secrets redacted
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )
    uvicorn.Server(config).run()
