"""Replies as plain text with numbered options, for channels without buttons (console, WhatsApp)."""

from __future__ import annotations

from collections.abc import Callable

from bot.messages import Reply


def render(replies: list[Reply], back: str, bold: Callable[[str], str]) -> list[str]:
    """One text per reply: the title in bold, the text, options numbered across the batch."""
    texts = []
    number = 0
    for reply in replies:
        parts = []
        if reply.title:
            parts.append(bold(reply.title))
        if reply.text:
            parts.append(reply.text)
        if reply.buttons:
            lines = []
            for button in reply.buttons:
                number += 1
                lines.append(f"{number}. {button.label}")
            parts.append("\n".join(lines))
        texts.append("\n".join(parts))
    if number and texts:
        texts[-1] += f"\n0. {back}"
    return texts
