"""A chat harness for flow tests: send text, press buttons, read the last replies."""

from __future__ import annotations

import itertools

from bot.engine import Engine, Outcome
from bot.i18n import normalize
from bot.messages import Button, Incoming, Kind, Reply

_ids = itertools.count(1)


class Chat:
    """One user talking to a real engine on a real SQLite file."""

    def __init__(
        self, engine: Engine, user: str = "telegram:1001", hint: str | None = None
    ) -> None:
        self.engine = engine
        self.user = user
        self.hint = hint
        self.replies: list[Reply] = []
        self.outcome: Outcome | None = None

    async def incoming(self, incoming: Incoming) -> list[Reply]:
        """Hand one message to the engine and keep its replies."""
        self.outcome = await self.engine.handle(incoming)
        self.replies = self.outcome.replies
        return self.replies

    async def send(
        self, text: str, message_id: str | None = None, kind: Kind = "text"
    ) -> list[Reply]:
        """Type a message (each gets a fresh platform id, as on Telegram and WhatsApp)."""
        mid = message_id or f"m{next(_ids)}"
        return await self.incoming(
            Incoming(self.user, kind=kind, text=text, message_id=mid, locale_hint=self.hint)
        )

    async def press(self, label_or_payload: str) -> list[Reply]:
        """Press a button of the last replies by label or payload; anything else is sent raw."""
        button = self.button(label_or_payload)
        payload = button.payload if button else label_or_payload
        return await self.incoming(
            Incoming(
                self.user,
                kind="button",
                payload=payload,
                message_id=f"m{next(_ids)}",
                locale_hint=self.hint,
            )
        )

    def button(self, label_or_payload: str) -> Button | None:
        """A button of the last replies by label, payload, unstamped payload, or folded label."""
        for button in self.buttons:
            unstamped = button.payload.rsplit("~", 1)[-1]
            if label_or_payload in (button.label, button.payload, unstamped):
                return button
        wanted = normalize(label_or_payload)  # as the engine matches typed labels ("✓ Shqip")
        return next((b for b in self.buttons if normalize(b.label) == wanted), None)

    @property
    def buttons(self) -> list[Button]:
        """Every button offered by the last replies."""
        return [b for r in self.replies for b in r.buttons]

    @property
    def labels(self) -> list[str]:
        """The labels of the last replies' buttons."""
        return [b.label for b in self.buttons]

    @property
    def last(self) -> Reply:
        """The last reply."""
        assert self.replies, "no replies"
        return self.replies[-1]

    @property
    def text(self) -> str:
        """All text of the last replies, titles included."""
        return "\n".join(f"{r.title or ''}\n{r.text}" for r in self.replies)
