"""The Telegram channel: updates become Incoming messages; replies, messages with keyboards."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.config import Settings
from bot.engine import Engine
from bot.i18n import LOCALES, N_, Translator, negotiate
from bot.messages import Attachment, Button, Incoming, Kind, Reply, safe_filename
from bot.outbox import Job, Pace, Sent
from bot.plaintext import split
from bot.registry import Registry
from storage import callbacks, users
from storage import roles as granted
from storage.clock import utcnow
from storage.users import User

log = logging.getLogger(__name__)
Invoke = Callable[..., Awaitable[Any]]  # how a Bot API method is called: paced, retried or not

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
SHORT_LABEL = 20  # characters of a label that shares its keyboard row with another
RETRIES = 3  # attempts after a 429 before a reply is given up
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")

DESCRIPTION = N_(
    "The assistant of Albania's Ministry for Europe and Foreign Affairs and IOM for Albanians"
    " abroad: community meetings and the Diaspora Summit, consular questions, project ideas for"
    " Albania's development, and announcements. Write in Albanian, Italian, Greek or English."
)
SHORT_DESCRIPTION = N_("Events, consular answers and project ideas for Albanians abroad.")


class Unreachable(Exception):
    """The user blocked the bot or deleted their account: nothing more can be sent to them."""


def webhook_secret(settings: Settings) -> str:
    """The configured webhook secret, or one derived from the token (unguessable without it)."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    token = settings.telegram_bot_token or ""
    return hmac.new(token.encode(), b"diaspora-bot webhook", hashlib.sha256).hexdigest()[:48]


class TelegramChannel:
    """Turns updates into Incoming messages for the engine and sends its replies back."""

    def __init__(self, engine: Engine, bot: Bot) -> None:
        self.engine = engine
        self.bot = bot

    async def process(self, update: Update) -> None:
        """Handle one update completely; raises when it could not be processed (for a retry)."""
        chat = update.effective_chat
        if update.edited_message is not None or chat is None:
            return  # edited messages are ignored: the original was answered
        if chat.type != ChatType.PRIVATE:
            await self._group(update)
            return
        query = update.callback_query
        answered = False

        async def answer() -> None:
            # Every press is answered exactly once, whatever happens: delivered replies, none at
            # all (a duplicate already delivered, flood control being silent) or a failure.
            nonlocal answered
            if query is not None and not answered:
                answered = True
                await self._answer(query.id)

        async def deliver(replies: list[Reply]) -> None:
            await answer()  # before the replies, so the spinner stops as they arrive
            await self.send(chat.id, replies)
            if query is not None and isinstance(query.message, Message):
                await self._clear_keyboard(query.message)

        try:
            incoming = await self.incoming(update)
            if incoming is not None:
                await self.engine.handle(incoming, deliver)
        finally:
            await answer()

    async def incoming(self, update: Update) -> Incoming | None:
        """The Incoming an update in a private chat stands for (None: nothing to answer)."""
        chat, sender = update.effective_chat, update.effective_user
        if chat is None:
            return None
        key = f"telegram:{chat.id}"
        hint = sender.language_code if sender else None
        message_id = str(update.update_id)
        query = update.callback_query
        if query is not None:
            payload = query.data or ""
            if payload.startswith(callbacks.KEY_PREFIX):
                async with self.engine.db.statement() as tx:
                    payload = await callbacks.payload_of(tx, payload) or ""
            return Incoming(key, "button", payload=payload, message_id=message_id, locale_hint=hint)
        message = update.message
        if message is None:
            return None
        kind: Kind
        if message.text is not None:
            kind = "text"
        elif message.location is not None or message.venue is not None:
            kind = "location"
        elif any(
            (
                message.sticker,
                message.photo,
                message.voice,
                message.video,
                message.audio,
                message.document,
                message.animation,
                message.video_note,
            )
        ):
            kind = "media"
        elif message.contact is not None or message.poll is not None or message.dice is not None:
            kind = "other"
        else:
            return None  # service messages (pins, joins) need no answer
        return Incoming(key, kind, text=message.text or "", message_id=message_id, locale_hint=hint)

    async def send(self, chat_id: int, replies: Sequence[Reply]) -> None:
        """Send replies as HTML messages with inline keyboards; a blocked user is marked once."""
        try:
            for reply in replies:
                await self.send_reply(chat_id, reply)
        except Unreachable:
            async with self.engine.db.transaction() as tx:
                await users.update(
                    tx,
                    f"telegram:{chat_id}",
                    unreachable_at=utcnow(),
                    unreachable_reason="telegram: blocked by the user",
                )
            log.info("telegram chat %s is unreachable; marked", chat_id)

    async def send_reply(
        self, chat_id: int, reply: Reply, invoke: Invoke | None = None, edit: int | None = None
    ) -> list[int]:
        """One reply: its text in pieces under the limit (keyboard on the last), then the file.

        `edit` replaces the text of a message sent earlier instead of sending a first piece.
        """
        call = invoke or self._call
        body = html.escape(reply.text, quote=False)
        if reply.title:
            title = f"<b>{html.escape(reply.title, quote=False)}</b>"
            body = f"{title}\n{body}" if body else title
        pieces = split(body, MAX_TEXT) if body else []
        markup = await self._keyboard(reply.buttons) if reply.buttons else None
        if not pieces and markup is not None:
            pieces = ["…"]
        sent: list[int] = []
        for index, piece in enumerate(pieces):
            keyboard = markup if index == len(pieces) - 1 else None
            if index == 0 and edit is not None:
                try:
                    await call(
                        self.bot.edit_message_text,
                        chat_id=chat_id,
                        message_id=edit,
                        text=piece,
                        parse_mode=ParseMode.HTML,
                        reply_markup=keyboard,
                    )
                except BadRequest as exc:  # the same text again (a progress that did not move)
                    if "not modified" not in exc.message.lower():
                        raise
                sent.append(edit)
                continue
            message = await call(
                self.bot.send_message,
                chat_id=chat_id,
                text=piece,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
            sent.append(message.message_id)
        if isinstance(reply.attachment, Attachment):
            upload = InputFile(
                reply.attachment.data, filename=safe_filename(reply.attachment.filename)
            )
            kind = reply.attachment.media_type
            if kind.startswith("image/") and kind != "image/svg+xml":
                message = await call(self.bot.send_photo, chat_id=chat_id, photo=upload)
            else:
                message = await call(self.bot.send_document, chat_id=chat_id, document=upload)
            sent.append(message.message_id)
        return sent

    async def _keyboard(self, buttons: Sequence[Button]) -> InlineKeyboardMarkup:
        """One button a row; with many, short ones two a row; long payloads get a stored key."""
        keys = []
        for button in buttons:
            data = button.payload
            if len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
                async with self.engine.db.transaction() as tx:
                    data = await callbacks.store(tx, data, utcnow())
            keys.append(InlineKeyboardButton(button.label, callback_data=data))
        if len(keys) <= 4:
            return InlineKeyboardMarkup([[key] for key in keys])
        # Many: two short labels share a row, a long one has its own, in order; one long label
        # no longer stretches a whole menu into a single column.
        rows: list[list[InlineKeyboardButton]] = []
        for key in keys:
            short = len(key.text) <= SHORT_LABEL
            if short and rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= SHORT_LABEL:
                rows[-1].append(key)
            else:
                rows.append([key])
        return InlineKeyboardMarkup(rows)

    async def _call(self, method: Callable[..., Awaitable[Any]], /, **kwargs: Any) -> Any:
        """Call the Bot API, waiting out 429s; a 403 means the user is unreachable."""
        for attempt in range(RETRIES + 1):
            try:
                return await method(**kwargs)
            except RetryAfter as exc:
                if attempt == RETRIES:
                    raise
                delay = exc.retry_after
                seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)
                log.warning("telegram asked to wait %.1f s", seconds)
                await asyncio.sleep(seconds)
            except Forbidden as exc:
                raise Unreachable(str(exc)) from exc
        raise AssertionError("unreachable")

    async def _answer(self, query_id: str) -> None:
        """Stop the button's spinner; a stale query (over 15 minutes old) cannot be answered."""
        try:
            await self.bot.answer_callback_query(query_id)
        except BadRequest as exc:
            log.debug("callback query not answered: %s", exc)

    async def _clear_keyboard(self, message: Message) -> None:
        """Take the buttons off a pressed prompt, so it cannot be pressed twice by mistake."""
        try:
            await self.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=message.message_id, reply_markup=None
            )
        except TelegramError as exc:
            log.debug("keyboard not cleared: %s", exc)

    async def _group(self, update: Update) -> None:
        """In a group, answer /start with a link to a private chat and otherwise stay silent."""
        message = update.message
        if message is None or not message.text:
            return
        command = message.text.split(maxsplit=1)[0].split("@", 1)
        if command[0] != "/start" or (len(command) == 2 and command[1] != self.bot.username):
            return
        hint = update.effective_user.language_code if update.effective_user else None
        translator = self.engine.catalogs.translator(
            negotiate(None, hint, self.engine.settings.default_locale)
        )
        text = translator.t(
            "I answer in private chats only, so that what you tell me stays between us."
            " Write to me here: {link}",
            link=f"https://t.me/{self.bot.username}?start=group",
        )
        await self._call(self.bot.send_message, chat_id=message.chat_id, text=text)


async def configure(bot: Bot, engine: Engine) -> None:
    """Set the command lists (per language and, for staff, per chat) and the descriptions."""
    registry, catalogs = engine.registry, engine.catalogs
    if not engine.settings.telegram_bot_username and bot.username:
        # Event links for posters need it; it is known once the bot has called getMe.
        engine.settings = replace(engine.settings, telegram_bot_username=bot.username)
    members = registry.commands_for(frozenset())
    for locale in LOCALES:
        translator = catalogs.translator(locale)
        commands = [BotCommand(c.name, translator.t(c.description)[:256]) for c in members]
        language = None if locale == "en" else locale  # English is the default list
        await bot.set_my_commands(commands, language_code=language)
        await bot.set_my_description(translator.t(DESCRIPTION)[:512], language_code=language)
        await bot.set_my_short_description(
            translator.t(SHORT_DESCRIPTION)[:120], language_code=language
        )
    for key, roles in (await staff(engine)).items():
        translator = catalogs.translator(await engine.locale_of(key))
        try:
            await chat_commands(bot, registry, translator, int(key.partition(":")[2]), roles)
        except TelegramError as exc:  # a staff member who never opened the chat
            log.warning("commands for %s not set: %s", key, exc)


async def chat_commands(
    bot: Bot, registry: Registry, translator: Translator, chat_id: int, roles: frozenset[str]
) -> None:
    """One chat's own command list: staff see theirs; for anyone else it goes, so that the
    everyday list in their app's language applies again."""
    scope = BotCommandScopeChat(chat_id)
    if not roles:
        await bot.delete_my_commands(scope=scope)
        return
    commands = [
        BotCommand(c.name, translator.t(c.description)[:256]) for c in registry.commands_for(roles)
    ]
    await bot.set_my_commands(commands, scope=scope)


async def staff(engine: Engine) -> dict[str, frozenset[str]]:
    """Telegram users with a role, from the configuration and from the chat."""
    settings = engine.settings
    keys = {k for k in settings.admins | settings.officers if k.startswith("telegram:")}
    async with engine.db.statement() as tx:
        for grant in await granted.grants(tx):
            if grant.user_key.startswith("telegram:"):
                keys.add(grant.user_key)
        found = {key: settings.static_roles(key) | await granted.of(tx, key) for key in keys}
    return {key: roles for key, roles in found.items() if roles}


class TelegramSender:
    """The outbox's Telegram side: paced sends whose errors become outcomes (no waiting here)."""

    channel = "telegram"
    recipient: str | None = None

    def __init__(self, channel: TelegramChannel) -> None:
        self.telegram = channel

    async def redraw_commands(self, user: User, roles: frozenset[str], i18n: Translator) -> Sent:
        """Set the chat's own command list for staff, or drop it for someone who has no role."""
        chat_id = int(user.key.partition(":")[2])
        try:
            await chat_commands(
                self.telegram.bot, self.telegram.engine.registry, i18n, chat_id, roles
            )
        except RetryAfter as exc:
            delay = exc.retry_after
            seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)
            return Sent("retry", reason="telegram: too many requests", retry_after=seconds)
        except (BadRequest, Forbidden) as exc:  # no chat to set it for: nothing to retry
            return Sent("failed", reason=f"telegram: {exc.message}")
        except TelegramError as exc:  # network trouble, timeouts: try again with backoff
            return Sent("retry", reason=f"telegram: {exc.message}")
        return Sent("sent")

    async def send(self, job: Job, pace: Pace) -> Sent:
        """Send (or edit) a row's replies; 403, 429 and other errors are reported, not raised."""
        key = job.row.user.key
        chat_id = int(key.partition(":")[2])

        async def paced(method: Callable[..., Awaitable[Any]], /, **kwargs: Any) -> Any:
            await pace(key)
            return await method(**kwargs)

        ids: list[int] = []
        edit = int(job.row.edits_message_id) if job.row.edits_message_id else None
        try:
            for index, reply in enumerate(job.replies):
                ids += await self.telegram.send_reply(
                    chat_id, reply, paced, edit if index == 0 else None
                )
        except Forbidden:
            return Sent("unreachable", reason="telegram: blocked by the user")
        except RetryAfter as exc:
            delay = exc.retry_after
            seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)
            return Sent("retry", reason="telegram: too many requests", retry_after=seconds)
        except BadRequest as exc:
            if ids:  # a later piece failed: what went out stays out
                return Sent("sent", tuple(map(str, ids)), reason=f"telegram: {exc.message}")
            return Sent("failed", reason=f"telegram: {exc.message}")
        except TelegramError as exc:  # network trouble, timeouts: try again with backoff
            return Sent("retry", reason=f"telegram: {exc.message}")
        return Sent("sent", tuple(map(str, ids)))
