"""The vocabulary every channel and flow shares: Incoming, Reply, Button, attachments."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any, Literal

# "resume" asks for the current prompt again without an answer (a console opening, say).
Kind = Literal["text", "button", "command", "media", "location", "other", "resume"]
CHANNELS = ("telegram", "whatsapp", "console")

# `<channel>:<id>`: Telegram's numeric chat id, Twilio's `From` minus its prefix, a console name.
_KEY_PATTERNS = {
    "telegram": re.compile(r"-?[0-9]{1,20}"),
    "whatsapp": re.compile(r"\+[1-9][0-9]{6,14}"),
    "console": re.compile(r"[A-Za-z0-9_-]{1,32}"),
}


def is_user_key(key: str) -> bool:
    """Tell whether a string is a well-formed user key such as `telegram:123`."""
    channel, sep, ident = key.partition(":")
    pattern = _KEY_PATTERNS.get(channel)
    return bool(sep) and pattern is not None and pattern.fullmatch(ident) is not None


_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """A file name with no path, no leading dot and nothing a file system or shell reads oddly.

    No leading dash either (a command would take it for an option), and no trailing dot once
    shortened to 100 characters (Windows drops it).
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_FILENAME.sub("_", base).lstrip("._-")[:100].rstrip("._")
    return cleaned or "attachment"


def channel_of(key: str) -> str:
    """The channel part of a user key."""
    return key.partition(":")[0]


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a user, as any channel hands it to the engine."""

    user: str
    kind: Kind = "text"
    text: str = ""
    payload: str | None = None
    message_id: str | None = None
    locale_hint: str | None = None

    @property
    def channel(self) -> str:
        """The channel the message came from."""
        return channel_of(self.user)


@dataclass(frozen=True, slots=True)
class Button:
    """An option: a label and its payload, a step-local choice unless `route` (`event:42`)."""

    label: str
    payload: str
    # A route works from anywhere at any time; a step-local choice only at the prompt that offered
    # it (the engine stamps it with the prompt's number, so an old one is recognised).
    route: bool = False


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply."""

    filename: str
    media_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class AttachmentSpec:
    """What to render after the commit: a registered renderer's name and its arguments."""

    renderer: str
    args: dict[str, Any] = field(default_factory=dict)
    export: bool = False  # a file of stored records (a CSV): producing one is a staff action


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the user: plain text, an optional title, options and an attachment."""

    text: str = ""
    title: str | None = None
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | AttachmentSpec | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict, for the de-duplication row."""
        out: dict[str, Any] = {"text": self.text}
        if self.title is not None:
            out["title"] = self.title
        if self.buttons:
            out["buttons"] = [[b.label, b.payload] for b in self.buttons]
        att = self.attachment
        if isinstance(att, AttachmentSpec):
            out["spec"] = {"renderer": att.renderer, "args": att.args}
        elif isinstance(att, Attachment):
            out["file"] = {
                "filename": att.filename,
                "media_type": att.media_type,
                "data": base64.b64encode(att.data).decode("ascii"),
            }
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Reply:
        """The reverse of `to_json`."""
        attachment: Attachment | AttachmentSpec | None = None
        if "spec" in raw:
            attachment = AttachmentSpec(raw["spec"]["renderer"], raw["spec"]["args"])
        elif "file" in raw:
            f = raw["file"]
            attachment = Attachment(f["filename"], f["media_type"], base64.b64decode(f["data"]))
        return cls(
            text=raw.get("text", ""),
            title=raw.get("title"),
            buttons=tuple(Button(label, payload) for label, payload in raw.get("buttons", ())),
            attachment=attachment,
        )


def numbered_options(replies: list[Reply]) -> list[Button]:
    """Every button of a batch of replies in order: text channels show option n as item n-1."""
    return [button for reply in replies for button in reply.buttons]
