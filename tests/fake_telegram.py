"""A fake Telegram Bot API server: answers what python-telegram-bot calls, and records every call.

It speaks the real wire format (POST /bot<token>/<method>, form or multipart, JSON answers), so the
real library talks to it over real HTTP. Tests push updates for getUpdates, read what was sent, and
can make a method fail (403, 429 with retry_after) for a chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_ID = 999000
BOT_USERNAME = "diaspora_test_bot"


@dataclass
class Call:
    """One Bot API call as received."""

    method: str
    token: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None
    ok: bool = True

    @property
    def chat_id(self) -> int | None:
        """The chat the call is about, if any."""
        value = self.params.get("chat_id")
        return None if value is None else int(value)

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard sent, as rows of buttons."""
        markup = self.params.get("reply_markup")
        if not markup:
            return []
        rows: list[list[dict[str, Any]]] = json.loads(markup)["inline_keyboard"]
        return rows

    @property
    def labels(self) -> list[str]:
        """The keyboard's button labels, in order."""
        return [button["text"] for row in self.keyboard for button in row]


@dataclass
class Failure:
    """Make a method fail for a chat (or for all) a number of times."""

    method: str
    chat_id: int | None
    status: int
    description: str
    retry_after: int | None
    times: int


class FakeTelegram:
    """The server's state and its Starlette app."""

    def __init__(self) -> None:
        self.url = ""  # where it serves, set by whoever serves it
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.failures: list[Failure] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.app = Starlette(
            routes=[Route("/bot{token}/{method}", self._endpoint, methods=["POST", "GET"])]
        )

    # -- what tests do -------------------------------------------------------------------------

    async def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update.setdefault("update_id", next(self._update_ids))
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return int(update["update_id"])

    def fail(
        self,
        method: str,
        chat_id: int | None = None,
        *,
        status: int = 403,
        description: str = "Forbidden: bot was blocked by the user",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of a method (for a chat) fail."""
        self.failures.append(Failure(method, chat_id, status, description, retry_after, times))

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        """The successful calls of a method, for a chat or all."""
        return [
            c
            for c in self.calls
            if c.ok and c.method == method and (chat_id is None or c.chat_id == chat_id)
        ]

    def texts(self, chat_id: int) -> list[str]:
        """The texts of the messages sent to a chat, in order."""
        return [str(c.params["text"]) for c in self.sent(chat_id)]

    async def wait_for(self, check: Callable[[], bool], seconds: float = 10.0) -> None:
        """Wait until a condition on the recorded calls holds."""
        deadline = time.monotonic() + seconds
        async with self._changed:
            while not check():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("timed out waiting for the fake Bot API")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    # -- the server ----------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        """Parse a call like the Bot API does and dispatch it."""
        method = request.path_params["method"]
        token = request.path_params["token"]
        params: dict[str, Any] = {}
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            async with request.form() as form:  # closes the uploads' temporary files
                for name, value in form.multi_items():
                    params[name] = await value.read() if isinstance(value, UploadFile) else value
        elif content_type.startswith("application/json"):
            params = await request.json()
        call = Call(method, token, params)
        if method == "getUpdates":  # a long poll: seen when it starts, not when it returns
            await self._record(call)
        failure = self._failure(method, params)
        if failure is not None:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            call.ok = False
            await self._record(call)
            return JSONResponse(body, status_code=failure.status)
        handler = getattr(self, f"_{method}", None)
        call.result = await handler(params) if handler else True
        if method != "getUpdates":
            await self._record(call)
        return JSONResponse({"ok": True, "result": call.result})

    async def _record(self, call: Call) -> None:
        """Keep a call and wake whoever waits for one."""
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        """The failure that applies to this call, consumed once."""
        for failure in self.failures:
            chat = params.get("chat_id")
            if (
                failure.method == method
                and failure.times > 0
                and (failure.chat_id is None or (chat is not None and int(chat) == failure.chat_id))
            ):
                failure.times -= 1
                return failure
        return None

    async def _getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Diaspora",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 0.3)  # short polls: tests stop quickly
        async with self._changed:
            while True:
                ready = [u for u in self.updates if u["update_id"] >= offset]
                remaining = deadline - time.monotonic()
                if ready or remaining <= 0:
                    return ready[:100]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Diaspora"},
            **content,
        }

    async def _sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, text=params["text"])

    async def _editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, text=params["text"])

    async def _editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, text="")

    async def _sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, document={"file_id": "doc", "file_unique_id": "doc"})

    async def _sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        size = {"file_id": "photo", "file_unique_id": "photo", "width": 1, "height": 1}
        return self._message(params, photo=[size])


_ids = itertools.count(1)


def user(chat_id: int, language: str | None = "en") -> dict[str, Any]:
    """A Telegram user object."""
    found: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": "Ana"}
    if language:
        found["language_code"] = language
    return found


def text_update(
    chat_id: int, text: str, language: str | None = "en", chat_type: str = "private"
) -> dict[str, Any]:
    """A message with text (a command when it starts with /)."""
    message: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": chat_type},
        "from": user(abs(chat_id), language),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


def callback_update(
    chat_id: int, data: str, message_id: int = 1, language: str | None = "en"
) -> dict[str, Any]:
    """A button press on a message the bot sent."""
    return {
        "callback_query": {
            "id": str(next(_ids)),
            "from": user(chat_id, language),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": "prompt",
            },
        }
    }


def content_update(chat_id: int, kind: str, language: str | None = "en") -> dict[str, Any]:
    """A message without text: a sticker, photo, voice note, location or contact."""
    contents: dict[str, dict[str, Any]] = {
        "sticker": {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        "photo": {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
        "voice": {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}},
        "location": {"location": {"latitude": 41.33, "longitude": 19.82}},
        "contact": {"contact": {"phone_number": "+355690000000", "first_name": "Ana"}},
    }
    content = contents[kind]
    return {
        "message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": user(chat_id, language),
            **content,
        }
    }


def edited_update(chat_id: int, text: str) -> dict[str, Any]:
    """An edited message, which the bot ignores."""
    return {
        "edited_message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": user(chat_id),
            "text": text,
        }
    }
