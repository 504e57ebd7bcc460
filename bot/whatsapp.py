"""WhatsApp through Twilio: signed webhooks in, TwiML out, and outbound sending within the rules."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from bot.config import Settings
from bot.engine import Engine
from bot.i18n import N_, Catalogs, Translator
from bot.messages import Incoming, Kind, Reply, is_user_key
from bot.outbox import Job, Pace, Sent
from bot.plaintext import render, split
from bot.whatsapp_rules import MAX_BODY as MAX_BODY  # re-exported: its old home
from bot.whatsapp_rules import within_window
from storage import users
from storage import whatsapp as statuses
from storage.clock import utcnow
from storage.users import User

log = logging.getLogger(__name__)

# A webhook's fields (Starlette's FormData: repeated keys kept, which the signature covers).
Form = Mapping[str, object]

SIGNATURE_HEADER = "X-Twilio-Signature"

UNREACHABLE = {
    21610: "whatsapp: opted out (21610)",
    63014: "whatsapp: blocked by the user (63014)",
    63024: "whatsapp: invalid recipient (63024)",
}
OUTSIDE_WINDOW = 63016
RATE_LIMITED = 63018

# The sender's name in the notice template: "You have a new message from {{1}}. Reply to read it."
SENDER_NAME = N_("the Ministry for Europe and Foreign Affairs")
# In place of a file a flow attached anyway (WhatsApp replies here carry text only).
FILE_LEFT_OUT = N_(
    "A file goes with this message, but WhatsApp cannot carry it here:"
    " you can get it on Telegram or in the console."
)

_HINTS = (("+355", "sq"), ("+383", "sq"), ("+39", "it"), ("+30", "el"))
_MARKERS = "*_~`"
_LINK = re.compile(r"https?://\S+")


def locale_hint(sender: str) -> str:
    """A language guess from the number's country code (never forced on the user)."""
    number = sender.removeprefix("whatsapp:")
    return next((locale for prefix, locale in _HINTS if number.startswith(prefix)), "en")


def public_url(settings: Settings, path: str, query: str = "") -> str:
    """The URL Twilio called, rebuilt from PUBLIC_URL (behind a proxy the app sees http://)."""
    return f"{settings.public_url}{path}" + (f"?{query}" if query else "")


def signed(settings: Settings, url: str, form: Form, signature: str | None) -> bool:
    """Whether a webhook carries Twilio's signature over this URL and every field."""
    if not signature or not settings.twilio_auth_token:
        return False
    return bool(RequestValidator(settings.twilio_auth_token).validate(url, form, signature))


def incoming(form: Form) -> Incoming:
    """The Incoming a Twilio webhook form stands for."""
    sender = _field(form, "From")
    sid = _field(form, "MessageSid") or _field(form, "SmsMessageSid") or None
    hint = locale_hint(sender)
    payload = _field(form, "ButtonPayload") or _field(form, "ListId")
    if payload:
        return Incoming(sender, "button", payload=payload, message_id=sid, locale_hint=hint)
    kind: Kind = "text"
    count = _field(form, "NumMedia")
    media = min(int(count), 10) if count.isdecimal() else 0  # isdigit passes "❶", int() does not
    if _field(form, "Latitude") and _field(form, "Longitude"):
        kind = "location"
    elif media:
        types = [_field(form, f"MediaContentType{i}") for i in range(media)]
        kind = "other" if any("vcard" in t for t in types) else "media"
    text = _field(form, "Body") if kind == "text" else ""
    return Incoming(sender, kind, text=text, message_id=sid, locale_hint=hint)


def _field(form: Form, name: str) -> str:
    """A text field of the form ("" when absent)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def escape(text: str, bold: bool = False) -> str:
    """Break marker pairs (WhatsApp has no escape character) so user text never formats.

    Links are left whole: a joiner inside one (an online meeting's `a_b_c`) would break it, and
    WhatsApp does not format inside a link. In a `bold` title, wrapped in `*…*`, a single `*`
    ("Hotel 5* Tirana") would pair with the wrapping one, so every `*` is broken there.
    """
    links = _LINK.findall(text)
    parts = _LINK.split(text)
    plain = "".join(parts)
    for marker in _MARKERS:
        if plain.count(marker) >= (1 if bold and marker == "*" else 2):
            parts = [part.replace(marker, marker + "\u200d") for part in parts]
    return "".join(p + link for p, link in zip(parts, [*links, ""], strict=True))


def bodies(replies: Sequence[Reply], translator: Translator) -> list[str]:
    """Replies as WhatsApp bodies: *bold* titles, numbered options, each under 1,600 characters.

    Files are not sent on WhatsApp (flows offer a link or say so): one that still comes is not
    dropped in silence.
    """
    left_out = translator.t(FILE_LEFT_OUT)
    escaped = [
        Reply(
            "\n\n".join(t for t in (escape(r.text), r.attachment and left_out) if t),
            escape(r.title, bold=True) if r.title else None,
            r.buttons,
            r.attachment,
        )
        for r in replies
    ]
    texts = render(escaped, translator.t("Back"), lambda title: f"*{title}*")
    return [piece for text in texts if text for piece in split(text, MAX_BODY)]


def twiml(texts: Sequence[str]) -> str:
    """A TwiML answer with one <Message> per body (an empty <Response/> means no reply)."""
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return str(response)


class WhatsAppChannel:
    """Inbound webhooks: the form becomes an Incoming; the replies, TwiML."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def answer(self, form: Form) -> str:
        """Process one signed webhook and return its TwiML (the same again for a retried sid)."""
        message = incoming(form)
        if not is_user_key(message.user) or message.channel != "whatsapp":
            return twiml([])
        # Held outbox messages come first: the engine hands them over (bot.outbox.release_held).
        outcome = await self.engine.handle(message)
        translator = self.engine.catalogs.translator(await self.engine.locale_of(message.user))
        return twiml(bodies(outcome.replies, translator))

    async def status(self, form: Form) -> None:
        """Record a delivery status; failures that mean unreachable mark the user."""
        sid = _field(form, "MessageSid") or _field(form, "SmsSid")
        status = (_field(form, "MessageStatus") or _field(form, "SmsStatus")).lower()
        if not sid or not status:
            return
        code_text = _field(form, "ErrorCode")
        code = int(code_text) if code_text.isdigit() else None
        key = _field(form, "To") or None
        now = utcnow()
        async with self.engine.db.transaction() as tx:
            if key is not None and not await users.exists(tx, key):
                key = None
            await statuses.record(tx, sid, key, status, code, now)
            if key is not None and status in ("failed", "undelivered") and code in UNREACHABLE:
                await users.update(
                    tx, key, unreachable_at=now, unreachable_reason=UNREACHABLE[code]
                )


Outcome = Literal["sent", "unreachable", "outside_window", "no_template", "retry", "failed"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What came of an outbound send."""

    outcome: Outcome
    sids: tuple[str, ...] = ()
    reason: str | None = None
    retry_after: float | None = None


class _HttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """twilio's async HTTP client, sending Basic auth as a header (aiohttp deprecates `auth`)."""

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  (twilio's signature)
        allow_redirects: bool = False,
    ) -> object:
        """Move the credentials into the Authorization header, then send as twilio would."""
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers = {**(headers or {}), "Authorization": f"Basic {token}"}
        return await super().request(
            method, url, params, data, headers, None, timeout, allow_redirects
        )


class WhatsAppSender:
    """Outbound messages through Twilio's async client; created and closed in a running loop."""

    def __init__(
        self, settings: Settings, catalogs: Catalogs, http: _HttpClient, client: Client
    ) -> None:
        self.settings = settings
        self.catalogs = catalogs  # the notice names the sender in its template's language
        self._http = http
        self.client = client

    @classmethod
    def create(cls, settings: Settings, catalogs: Catalogs) -> WhatsAppSender:
        """Build the client (inside the event loop: aiohttp needs one)."""
        http = _HttpClient()
        client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
        if settings.twilio_api_base_url:
            client.api.base_url = settings.twilio_api_base_url
        return cls(settings, catalogs, http, client)

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._http.close()

    async def send(
        self, to: str, texts: Sequence[str], locale: str, last_inbound: datetime | None
    ) -> Delivery:
        """Free text inside the 24-hour window; outside it, the notice template or nothing."""
        if not within_window(last_inbound, utcnow()):
            return await self.notice(to, locale)
        sids: list[str] = []
        for text in texts:
            result = await self.message(to, body=text)
            if result.outcome != "sent":
                return Delivery(result.outcome, tuple(sids), result.reason, result.retry_after)
            sids += result.sids
        return Delivery("sent", tuple(sids))

    async def notice(self, to: str, locale: str) -> Delivery:
        """The utility template telling the user a message waits (variables never at the ends),
        in their language, or else in the default language; the sender's name in the same."""
        templates = self.settings.twilio_template_sids or {}
        if locale not in templates:
            locale = self.settings.default_locale
        sid = templates.get(locale)
        if sid is None:
            return Delivery("no_template", reason="no notice template configured")
        name = self.catalogs.translator(locale).t(SENDER_NAME)
        variables = json.dumps({"1": name}, ensure_ascii=False)
        return await self.message(to, content_sid=sid, content_variables=variables)

    async def message(self, to: str, **content: str) -> Delivery:
        """One message create call, its errors turned into outcomes."""
        if self.settings.public_url:
            content["status_callback"] = f"{self.settings.public_url}/whatsapp/status"
        try:
            message = await self.client.messages.create_async(
                to=to, from_=self.settings.twilio_whatsapp_from, **content
            )
        except TwilioRestException as exc:
            return _outcome(exc)
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:  # the network, not Twilio
            return Delivery("retry", reason=f"network: {exc}"[:200])
        return Delivery("sent", (str(message.sid),))


def _outcome(exc: TwilioRestException) -> Delivery:
    """Twilio's error codes as outcomes the outbox can act on."""
    code = exc.code
    if code in UNREACHABLE:
        return Delivery("unreachable", reason=UNREACHABLE[code])
    if code == OUTSIDE_WINDOW:
        return Delivery("outside_window", reason="whatsapp: outside the 24-hour window (63016)")
    if exc.status == 429 or code == RATE_LIMITED:
        return Delivery("retry", reason=f"whatsapp: rate limited ({code or 429})", retry_after=1.0)
    return Delivery("failed", reason=f"whatsapp: error {code or exc.status}: {exc.msg}")


class WhatsAppOutbox:
    """The outbox's WhatsApp side: free text inside the window, held outside it, and notices."""

    channel = "whatsapp"
    recipient: str | None = None

    def __init__(self, sender: WhatsAppSender) -> None:
        self.sender = sender

    async def send(self, job: Job, pace: Pace) -> Sent:
        """Send a row's replies as bodies, or hold them until the user writes."""
        user = job.row.user
        if not within_window(user.last_inbound_at, utcnow()):
            return Sent("held", reason="outside the 24-hour window")
        sids: list[str] = []
        # No numbered options in a message we push: a number typed back answers the prompt the
        # user is at in the chat, not this message, so "1. Open" would do something else.
        pushed = [replace(r, buttons=()) for r in job.replies]
        for text in bodies(pushed, job.i18n):
            await pace(user.key)
            result = await self.sender.message(user.key, body=text)
            if result.outcome != "sent":
                if sids:  # a later body failed: what went out stays out
                    return Sent("sent", tuple(sids), reason=result.reason)
                return _sent(result)
            sids += result.sids
        return Sent("sent", tuple(sids))

    async def notice(self, user: User, i18n: Translator) -> Sent:
        """The notice template, in the user's language."""
        return _sent(await self.sender.notice(user.key, i18n.locale))


def _sent(delivery: Delivery) -> Sent:
    """A sender's Delivery as the outbox's Sent."""
    outcome = {
        "sent": "sent",
        "unreachable": "unreachable",
        "outside_window": "held",
        "no_template": "skipped",
        "retry": "retry",
        "failed": "failed",
    }[delivery.outcome]
    return Sent(outcome, delivery.sids, delivery.reason, delivery.retry_after)  # type: ignore[arg-type]
