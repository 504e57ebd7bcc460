"""A turn: what a step sees while handling one message (user, language, storage, replies)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.i18n import Catalogs, Translator
from bot.messages import Attachment, AttachmentSpec, Button, Incoming, Reply
from bot.registry import Registry, Roles, allowed
from bot.state import State
from storage import outbox, users
from storage.database import Tx
from storage.users import User


class Turn:
    """The context of one step: bound to one user, one language and one transaction."""

    def __init__(
        self,
        *,
        incoming: Incoming,
        user: User,
        roles: Roles,
        state: State,
        db: Tx,
        now: datetime,
        settings: Settings,
        registry: Registry,
        catalogs: Catalogs,
        translator: Translator,
    ) -> None:
        self.incoming = incoming
        self.user = user
        self.roles = roles
        self.state = state
        self.db = db
        self.now = now
        self.settings = settings
        self.registry = registry
        self.catalogs = catalogs
        self.i18n = translator
        self.replies: list[Reply] = []
        self.notified = False  # outbox rows were added: the worker is woken after the commit
        # bot.outbox settled this WhatsApp user's held rows in this turn: once is enough, since
        # no row can be held while the turn holds the write lock.
        self.held_settled = False
        # The user's data was erased in this turn: nothing more is stored about them (neither the
        # conversation record nor this message's de-duplication row), only the replies go out.
        self.erased = False

    @property
    def key(self) -> str:
        """The user's key, `<channel>:<id>`."""
        return self.user.key

    @property
    def channel(self) -> str:
        """The channel this message came from."""
        return self.user.channel

    @property
    def locale(self) -> str:
        """The language this turn speaks."""
        return self.i18n.locale

    @property
    def data(self) -> dict[str, Any]:
        """The current flow's collected data (saved with the conversation)."""
        return self.state.data

    def t(self, message: str, /, **values: Any) -> str:
        """Translate into the user's language and fill `{placeholders}`."""
        return self.i18n.t(message, **values)

    def ngettext(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        """Translate a count-dependent message; `{n}` is the count."""
        return self.i18n.ngettext(singular, plural, n, **values)

    def reply(
        self,
        text: str = "",
        *,
        title: str | None = None,
        buttons: Sequence[Button] = (),
        attachment: Attachment | AttachmentSpec | None = None,
    ) -> None:
        """Add a message to this turn's replies."""
        self.replies.append(Reply(text, title, tuple(buttons), attachment))

    def refuse_files(self) -> bool:
        """On WhatsApp, which carries no files from us, say so instead and return True."""
        if self.channel != "whatsapp":
            return False
        self.reply(
            self.t("Files cannot be sent on WhatsApp. Please export from Telegram or the console.")
        )
        return True

    def may(self, required: Roles) -> bool:
        """Whether this user holds one of the required roles (admins hold every role)."""
        return allowed(self.roles, required)

    def set_locale(self, locale: str) -> None:
        """Speak another language from now on in this turn (the caller stores the choice)."""
        self.i18n = self.catalogs.translator(locale)

    async def notify(
        self,
        recipient: str,
        renderer: str,
        args: dict[str, Any] | None = None,
        *,
        lane: str = "direct",
        key: str | None = None,
        not_before: datetime | None = None,
        batch: str | None = None,
        edits: int | None = None,
    ) -> int | None:
        """Queue a proactive message in this step's transaction (None: that key is queued)."""
        if renderer not in self.registry.renderers:
            raise LookupError(f"no outbox renderer named {renderer!r}")
        row = await outbox.enqueue(
            self.db,
            recipient,
            renderer,
            args or {},
            lane=lane,
            now=self.now,
            not_before=not_before,
            key=key,
            batch=batch,
            edits=edits,
        )
        self.notified = True
        return row

    async def redraw_commands(self, recipient: str) -> None:
        """Have someone's list of commands redrawn for their roles and language once this step
        commits: an outbox row, so that a crash cannot leave a revoked admin with admin commands."""
        if not recipient.startswith("telegram:"):  # only Telegram shows a list of commands
            return
        await outbox.enqueue(
            self.db, recipient, outbox.COMMAND_MENU, {}, lane="direct", now=self.now
        )
        self.notified = True

    async def update_user(self, **changes: Any) -> None:
        """Store changes to the user's record and keep `turn.user` in step."""
        await users.update(self.db, self.key, **changes)
        self.user = replace(self.user, **changes)
