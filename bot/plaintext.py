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


def split(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Cut text into pieces of at most `limit` (as measured), at paragraph, line, sentence or
    word boundaries where possible, so a long reply arrives as several readable messages."""
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        cut = _fit(rest, limit, measure)
        head = rest[:cut]
        for boundary in ("\n\n", "\n", ". ", "! ", "? ", " "):
            at = head.rfind(boundary)
            if at > cut // 3:
                cut = at + len(boundary)
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def shorten(text: str, limit: int) -> str:
    """Text on one line within `limit` characters, cut at a word boundary with "…" if too long."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    at = line.rfind(" ", 0, limit)  # the last space that leaves room for the "…"
    head = line[:at] if at > limit // 3 else line[: limit - 1]  # one long word: cut inside it
    return head.rstrip(" .,;:") + "…"


def _fit(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The longest prefix length whose measure is within the limit (at least one character)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low
