"""The drill's users: Telegram webhooks and signed Twilio webhooks, one message at a time per user,
each delivered again until it is answered with 200, as Telegram and Twilio do."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

from bench.drill_platforms import SENDS, Telegram
from bot.web import SECRET_HEADER
from bot.whatsapp import SIGNATURE_HEADER
from tests import fake_telegram as tg
from tests.fake_telegram import Call
from tests.stack import ACCOUNT, AUTH, SENDER

PUBLIC_URL = "https://drill.example.org"
WEBHOOK_SECRET = "drill-webhook-secret"
REQUEST_TIMEOUT = 15.0  # seconds: Twilio gives up on a webhook after 15 s and delivers it again
RETRY_PAUSE = 0.2  # seconds between deliveries of a message that got no answer
GIVE_UP = 120.0  # seconds without an answer to one message before the drill calls the run broken
FORM = "application/x-www-form-urlencoded"
OPTION = re.compile(r"^[1-9][0-9]*\. (.+)$", re.MULTILINE)  # "3. Sign up" in a WhatsApp body

Expect = str | tuple[str, ...]


class DrillError(Exception):
    """An answer no platform would retry (a 4xx), or none for minutes: the drill stops."""


@dataclass
class Inbound:
    """One inbound message as the platform keeps it: its id, its sender, its deliveries."""

    id: str
    user: str
    attempts: int = 0
    failures: list[str] = field(default_factory=list)  # what each unanswered delivery got
    answered_at: float = 0.0  # monotonic time of the 200


class Ledger:
    """Every inbound message sent, by id and by user, and every flow that went off its script."""

    def __init__(self) -> None:
        self.messages: dict[str, Inbound] = {}
        self.by_user: defaultdict[str, list[str]] = defaultdict(list)
        self.problems: list[str] = []
        self.answered = 0
        self.update_ids = itertools.count(1)
        self.sids = itertools.count(1)

    def new(self, message_id: str, user: str) -> Inbound:
        """Note a message before its first delivery."""
        inbound = Inbound(message_id, user)
        self.messages[message_id] = inbound
        self.by_user[user].append(message_id)
        return inbound

    @property
    def redelivered(self) -> list[Inbound]:
        """Messages that needed more than one delivery."""
        return [m for m in self.messages.values() if m.attempts > 1]


async def deliver(
    client: httpx.AsyncClient,
    path: str,
    body: bytes,
    headers: dict[str, str],
    inbound: Inbound,
    ledger: Ledger,
) -> httpx.Response:
    """Post until the answer is 200: a connection error, a timeout or a 5xx means "again"."""
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        inbound.attempts += 1
        try:
            response = await client.post(path, content=body, headers=headers)
        except httpx.TransportError as exc:
            inbound.failures.append(type(exc).__name__)
        else:
            if response.status_code == 200:
                ledger.answered += 1
                inbound.answered_at = time.monotonic()
                return response
            if response.status_code < 500:
                raise DrillError(f"{path} {response.status_code}: {response.text[:300]!r}")
            inbound.failures.append(str(response.status_code))
        await asyncio.sleep(RETRY_PAUSE)
    raise DrillError(f"{path}: no answer to {inbound.id} in {GIVE_UP:.0f} s: {inbound.failures}")


def client(url: str) -> httpx.AsyncClient:
    """One keep-alive connection (a pool scanned per request is slow with hundreds of them)."""
    return httpx.AsyncClient(
        base_url=url,
        timeout=REQUEST_TIMEOUT,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        trust_env=False,
    )


class Member:
    """A simulated person in a chat: says things, presses buttons, checks what comes back."""

    key: str
    first_words: str  # what they write first

    def __init__(self, http: httpx.AsyncClient, ledger: Ledger) -> None:
        self.http = http
        self.ledger = ledger
        self.last = ""  # the text of the replies to the last message, options included
        self.options: list[str] = []  # the labels of the options they offered

    async def say(self, text: str, expect: Expect | None = None) -> str:
        """Type a message; returns the replies' text."""
        raise NotImplementedError

    async def press(self, label: str, expect: Expect | None = None) -> str:
        """Choose an option of the last replies by its label."""
        raise NotImplementedError

    async def open_event(self, event: int, expect: Expect | None = None) -> str:
        """Open an event's card from anywhere (a poster's link, yesterday's button)."""
        raise NotImplementedError

    def check(self, what: str, expect: Expect | None) -> str:
        """Note a reply that is not what the script expects (the drill reports them all)."""
        wanted = (expect,) if isinstance(expect, str) else expect or ()
        if wanted and not any(w in self.last for w in wanted):
            self.ledger.problems.append(
                f"{self.key}: after {what!r} expected {' or '.join(map(repr, wanted))},"
                f" got {self.last[:240]!r}"
            )
        return self.last


class TelegramMember(Member):
    """A private chat: updates posted to /telegram; replies read from the fake Bot API."""

    first_words = "/start"

    def __init__(
        self, http: httpx.AsyncClient, ledger: Ledger, telegram: Telegram, chat: int
    ) -> None:
        super().__init__(http, ledger)
        self.telegram = telegram
        self.chat = chat
        self.key = f"telegram:{chat}"
        self.calls: list[Call] = []

    async def _post(self, update: dict[str, Any], what: str, expect: Expect | None) -> str:
        update_id = next(self.ledger.update_ids)
        inbound = self.ledger.new(str(update_id), self.key)
        seen = len(self.telegram.by_chat[self.chat])
        body = json.dumps({"update_id": update_id, **update}).encode()
        headers = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"}
        await deliver(self.http, "/telegram", body, headers, inbound, self.ledger)
        # The route answers 200 only after the replies went out: they are at the fake already.
        self.calls = [c for c in self.telegram.by_chat[self.chat][seen:] if c.method in SENDS]
        self.options = [b["text"] for c in self.calls for row in c.keyboard for b in row]
        texts = [str(c.params.get("text", "")) for c in self.calls]
        self.last = "\n".join(texts + self.options)
        return self.check(what, expect)

    async def say(self, text: str, expect: Expect | None = None) -> str:
        """Type a message; returns the replies' text."""
        return await self._post(tg.text_update(self.chat, text), text, expect)

    async def press(self, label: str, expect: Expect | None = None) -> str:
        """Tap the button with this label under the last replies (its callback data)."""
        for call in reversed(self.calls):
            for button in (b for row in call.keyboard for b in row):
                if button["text"] == label:
                    update = tg.callback_update(
                        self.chat, button["callback_data"], int(call.result["message_id"])
                    )
                    return await self._post(update, f"[{label}]", expect)
        self.ledger.problems.append(f"{self.key}: no button {label!r} in {self.last[:200]!r}")
        return await self.say(label, expect)

    async def open_event(self, event: int, expect: Expect | None = None) -> str:
        """Tap an event card's route button (it works from any step)."""
        update = tg.callback_update(self.chat, f"event:{event}", 1)
        return await self._post(update, f"[event:{event}]", expect)


class WhatsAppMember(Member):
    """A WhatsApp number: signed forms posted to /whatsapp; replies are the TwiML."""

    first_words = "Hello"

    def __init__(self, http: httpx.AsyncClient, ledger: Ledger, number: str) -> None:
        super().__init__(http, ledger)
        self.number = number
        self.key = f"whatsapp:{number}"
        self.validator = RequestValidator(AUTH)

    async def say(self, text: str, expect: Expect | None = None) -> str:
        """Send a message; returns the bodies of the TwiML answer."""
        sid = f"SM{next(self.ledger.sids):032x}"
        inbound = self.ledger.new(sid, self.key)
        form = {
            "MessageSid": sid,
            "AccountSid": ACCOUNT,
            "From": self.key,
            "To": SENDER,
            "Body": text,
            "NumMedia": "0",
            "WaId": self.number.removeprefix("+"),
            "ProfileName": "Drill",
        }
        signature = self.validator.compute_signature(f"{PUBLIC_URL}/whatsapp", form)
        headers = {SIGNATURE_HEADER: signature, "Content-Type": FORM}
        response = await deliver(
            self.http, "/whatsapp", urlencode(form).encode(), headers, inbound, self.ledger
        )
        self.last = "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))
        self.options = [m.group(1) for m in OPTION.finditer(self.last)]
        return self.check(text, expect)

    async def press(self, label: str, expect: Expect | None = None) -> str:
        """Options are numbered text on WhatsApp: type the option's label (it is matched too)."""
        return await self.say(label, expect)

    async def open_event(self, event: int, expect: Expect | None = None) -> str:
        """The poster's typed link."""
        return await self.say(f"EVENT {event}", expect)
