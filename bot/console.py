"""The console channel: a terminal chat on the same engine, scriptable through a pipe."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TextIO

from bot.engine import Engine
from bot.messages import Attachment, Incoming, Reply, safe_filename
from bot.outbox import Job, Pace, Sent
from bot.plaintext import render

log = logging.getLogger(__name__)

QUIT = "/quit"


class ConsoleChannel:
    """Reads lines, hands them to the engine as one user, prints the replies."""

    def __init__(
        self, engine: Engine, user: str, out: TextIO, *, interactive: bool, files: Path
    ) -> None:
        self.engine = engine
        self.user = user
        self.out = out
        self.interactive = interactive
        self.files = files

    async def run(self, source: TextIO = sys.stdin) -> None:
        """Chat until /quit or the end of input; start by showing where the user is."""
        await self.send(Incoming(self.user, kind="resume"))
        while True:
            if self.interactive:
                self.out.write("> ")
                self.out.flush()
            line = await asyncio.to_thread(source.readline)
            if not line:
                break
            text = line.rstrip("\r\n")
            if text.strip() == QUIT:
                break
            await self.send(Incoming(self.user, kind="text", text=text))

    async def send(self, incoming: Incoming) -> None:
        """Process one message and print its replies, or an apology if processing failed."""
        try:
            await self.engine.handle(incoming, deliver=self.show)
        except Exception:
            log.exception("processing a console message failed")
            translator = self.engine.catalogs.translator(await self.engine.locale_of(self.user))
            self.out.write(
                translator.t("Sorry, something went wrong on our side. Please try again.") + "\n"
            )

    async def show(self, replies: list[Reply]) -> None:
        """Print replies with numbered options; attachments are saved as files."""
        translator = self.engine.catalogs.translator(await self.engine.locale_of(self.user))
        texts = render(replies, translator.t("Back"), self._bold)
        for reply, text in zip(replies, texts, strict=True):
            if isinstance(reply.attachment, Attachment):
                path = self._save(reply.attachment)
                text += f"\n📎 {path}"
            self.out.write(f"\n{text}\n")
        self.out.flush()

    def _bold(self, text: str) -> str:
        """Bold on a terminal, *stars* in a pipe."""
        return f"\033[1m{text}\033[0m" if self.interactive else f"*{text}*"

    def _save(self, attachment: Attachment) -> Path:
        """Write an attachment under the files folder with a safe name."""
        self.files.mkdir(parents=True, exist_ok=True)
        name = safe_filename(attachment.filename)
        path = self.files / name
        path.write_bytes(attachment.data)
        return path


class ConsoleSender:
    """The outbox's console side: notices for the user at this terminal appear in the chat."""

    channel = "console"

    def __init__(self, console: ConsoleChannel) -> None:
        self.console = console
        self.recipient: str | None = console.user  # others' rows wait for their own console

    async def send(self, job: Job, pace: Pace) -> Sent:
        """Print the row's replies, marked as a message from us."""
        await pace(self.console.user)
        self.console.out.write("\n🔔")
        await self.console.show(job.replies)
        return Sent("sent", (f"console:{job.row.id}",))
