"""The drill's Telegram Bot API and Twilio REST fakes: the tests' own, indexed for many users."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse

from tests.fake_telegram import Call, FakeTelegram
from tests.fake_twilio import FakeTwilio, Sent
from tests.servers import serve

SENDS = ("sendMessage", "sendDocument", "sendPhoto")  # the calls that put a message in a chat


class Telegram(FakeTelegram):
    """The fake Bot API, keeping each chat's calls apart and counting one marked text."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.by_chat: defaultdict[int, list[Call]] = defaultdict(list)
        self.marked = 0  # messages carrying the marker (the announcement) so far

    async def _record(self, call: Call) -> None:
        """Index the call by chat, without the fake's condition (nobody waits on it here)."""
        self.calls.append(call)
        chat = call.chat_id
        if chat is not None:
            self.by_chat[chat].append(call)
        if call.ok and call.method == "sendMessage" and self.marker in str(call.params["text"]):
            self.marked += 1


class Twilio(FakeTwilio):
    """The fake Twilio endpoint, keeping each recipient's messages apart."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.by_to: defaultdict[str, list[Sent]] = defaultdict(list)
        self.marked = 0

    async def _create(self, request: Request) -> JSONResponse:
        """Create as the fake does, then index what was created."""
        response = await super()._create(request)
        sent = self.requests[-1]
        if sent.ok:
            self.by_to[sent.params.get("To", "")].append(sent)
            if self.marker in sent.params.get("Body", ""):
                self.marked += 1
        return response


@dataclass
class Platforms:
    """Both fakes and where they listen."""

    telegram: Telegram
    twilio: Twilio
    telegram_url: str
    twilio_url: str

    @property
    def announced(self) -> int:
        """Announcement messages received so far, on both platforms."""
        return self.telegram.marked + self.twilio.marked


@asynccontextmanager
async def platforms(marker: str) -> AsyncIterator[Platforms]:
    """Serve both fakes on 127.0.0.1 in this event loop until the block ends."""
    telegram, twilio = Telegram(marker), Twilio(marker)
    async with (
        serve(telegram.app, lifespan="off") as telegram_url,
        serve(twilio.app, lifespan="off") as twilio_url,
    ):
        yield Platforms(telegram, twilio, telegram_url, twilio_url)
