"""`python -m bot web`: the production process, one Starlette app serving every channel."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.config import Settings
from bot.outbox import OutboxWorker, Sender
from bot.registry import Registry
from bot.runtime import engine_for, telegram_application, worker_for
from bot.telegram import (
    ALLOWED_UPDATES,
    TelegramChannel,
    TelegramSender,
    configure,
    webhook_secret,
)
from bot.whatsapp import (
    SIGNATURE_HEADER,
    WhatsAppChannel,
    WhatsAppOutbox,
    WhatsAppSender,
    public_url,
    signed,
)
from handlers.event_files import CALENDAR_PATH, invitation_by_token
from storage import outbox as outbox_store
from storage.clock import to_db, utcnow

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 64 * 1024  # bytes: a Telegram update or a Twilio form is a few kilobytes


class Channels:
    """What the lifespan started, for the routes to use."""

    def __init__(self) -> None:
        self.engine: Any = None
        self.telegram: TelegramChannel | None = None
        self.whatsapp: WhatsAppChannel | None = None
        self.whatsapp_sender: WhatsAppSender | None = None
        self.worker: OutboxWorker | None = None


def create_app(settings: Settings, registry: Registry | None = None) -> Starlette:
    """The web app: the webhooks of the configured channels and /healthz."""
    channels = Channels()
    secret = webhook_secret(settings) if settings.telegram_bot_token else ""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = await stack.enter_async_context(engine_for(settings, registry))
            channels.engine = app.state.engine = engine  # app.state: for checks from outside
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
            if settings.whatsapp:
                sender = WhatsAppSender.create(settings, engine.catalogs)
                stack.push_async_callback(sender.close)
                channels.whatsapp_sender = sender
                channels.whatsapp = WhatsAppChannel(engine)
                log.info("WhatsApp webhook at %s/whatsapp", settings.public_url)
            else:
                log.info("no TWILIO_ settings: WhatsApp is off")
            senders: list[Sender] = []
            if channels.telegram is not None:
                senders.append(TelegramSender(channels.telegram))
            if channels.whatsapp_sender is not None:
                senders.append(WhatsAppOutbox(channels.whatsapp_sender))
            channels.worker = await stack.enter_async_context(worker_for(engine, senders))
            yield
            # In-flight requests have finished (uvicorn waited for them) before this runs.
            channels.telegram = channels.whatsapp = None
        log.info("stopped: channels closed, database closed")

    async def telegram(request: Request) -> Response:
        """A Telegram update: 200 only after the commit and the replies; 500 to have it resent."""
        channel = channels.telegram
        if channel is None:
            return PlainTextResponse("Telegram is not configured", status_code=404)
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        body = await _body(request, "application/json")
        if isinstance(body, Response):
            return body
        try:
            data = json.loads(body)
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

    async def whatsapp(request: Request) -> Response:
        """A WhatsApp message: 403 unless Twilio signed it; TwiML produced after the commit."""
        channel = channels.whatsapp
        if channel is None:
            return PlainTextResponse("WhatsApp is not configured", status_code=404)
        form = await _signed_form(request, settings)
        if isinstance(form, Response):
            return form
        try:
            answer = await channel.answer(form)
        except Exception:
            log.exception("a WhatsApp message failed; Twilio will retry it")
            return PlainTextResponse("processing failed", status_code=500)
        return Response(answer, media_type="application/xml")

    async def whatsapp_status(request: Request) -> Response:
        """A delivery status callback, signed like the messages."""
        channel = channels.whatsapp
        if channel is None:
            return PlainTextResponse("WhatsApp is not configured", status_code=404)
        form = await _signed_form(request, settings)
        if isinstance(form, Response):
            return form
        await channel.status(form)
        return Response(status_code=204)

    async def calendar(request: Request) -> Response:
        """A registration's .ics invitation, under its unguessable token (the WhatsApp link)."""
        token = str(request.path_params["token"])
        engine = channels.engine
        found = await invitation_by_token(
            engine.db.reader(), engine.catalogs, settings.default_locale, token
        )
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        return Response(
            found.data,
            media_type=f"{found.media_type}; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{found.filename}"',
                "Cache-Control": "private, no-store",
            },
        )

    async def healthz(request: Request) -> Response:
        """The database (503 when it cannot be written), the outbox backlog per lane with the
        age of its oldest due row, and the last successful send per channel."""
        db = channels.engine.db
        try:
            await db.writable()  # waits at most the busy timeout for another writer
        except Exception:
            log.exception("health check: the database cannot be written")
            return JSONResponse({"status": "error", "database": "not writable"}, status_code=503)
        now = utcnow()
        lanes = await outbox_store.backlog(db.reader(), now)
        worker = channels.worker
        sent = worker.last_sent if worker is not None else {}
        return JSONResponse(
            {
                "status": "ok",
                "database": "ok",
                "outbox": {
                    lane: {
                        "due": count,
                        "oldest_due_seconds": (
                            round((now - oldest).total_seconds(), 1) if oldest else None
                        ),
                    }
                    for lane, (count, oldest) in lanes.items()
                },
                "last_sent": {
                    sender.channel: (
                        to_db(sent[sender.channel]) if sender.channel in sent else None
                    )
                    for sender in (worker.senders if worker is not None else [])
                },
            }
        )

    routes = [
        Route("/telegram", telegram, methods=["POST"]),
        Route("/whatsapp", whatsapp, methods=["POST"]),
        Route("/whatsapp/status", whatsapp_status, methods=["POST"]),
        Route(CALENDAR_PATH + "{token:str}.ics", calendar, methods=["GET"]),
        Route("/healthz", healthz),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.channels = channels  # what the lifespan started, for tests and tools to inspect
    return app


async def _body(request: Request, kind: str) -> bytes | Response:
    """The body, read only when its type is the expected one (else 415) and at most MAX_BODY
    bytes long (else 413, whatever Content-Length claimed: the stream is counted)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != kind:
        return PlainTextResponse(f"expected {kind}", status_code=415)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return PlainTextResponse("too large", status_code=413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return PlainTextResponse("too large", status_code=413)
        chunks.append(chunk)
    return b"".join(chunks)


async def _form(request: Request) -> FormData | Response:
    """A posted form, parsed from a body checked by `_body` (repeated keys kept: the signature
    covers every field)."""
    body = await _body(request, "application/x-www-form-urlencoded")
    if isinstance(body, Response):
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return PlainTextResponse("not a form", status_code=400)
    pairs: list[tuple[str, str | UploadFile]] = list(parse_qsl(text, keep_blank_values=True))
    return FormData(pairs)


async def _signed_form(request: Request, settings: Settings) -> FormData | Response:
    """A form Twilio posted, as `_form` reads it; 403 unless Twilio's signature matches."""
    form = await _form(request)
    if isinstance(form, Response):
        return form
    url = public_url(settings, request.url.path, request.url.query)
    if not signed(settings, url, form, request.headers.get(SIGNATURE_HEADER)):
        return PlainTextResponse("forbidden", status_code=403)
    return form


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
