"""The consular FAQ: one JSON file per language under locales/faq/, the same ids in each."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.i18n import LOCALES, LOCALES_DIR

FAQ_DIR = LOCALES_DIR / "faq"
ENTRY_FIELDS = ("id", "category", "question", "phrasings", "keywords", "answer")
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class FaqError(Exception):
    """A FAQ file that is missing, malformed, or out of step with the other languages."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One question and its answer in one language."""

    id: str
    category: str
    question: str
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str


@dataclass(frozen=True, slots=True)
class Book:
    """The FAQ in one language."""

    locale: str
    notice: str
    portal_note: str
    categories: dict[str, str]  # id -> title, in display order
    entries: dict[str, Entry]  # id -> entry, in display order

    def in_category(self, category: str) -> list[Entry]:
        """The entries of a category, in order."""
        return [e for e in self.entries.values() if e.category == category]


def load(root: Path = FAQ_DIR) -> dict[str, Book]:
    """Read and check every language's file: the same categories, ids and fields in each."""
    books = {locale: _read(root / f"{locale}.json", locale) for locale in LOCALES}
    reference = books["en"]
    problems = []
    for locale, book in books.items():
        if list(book.categories) != list(reference.categories):
            problems.append(f"{locale}.json: categories differ from en.json")
        missing = [i for i in reference.entries if i not in book.entries]
        extra = [i for i in book.entries if i not in reference.entries]
        if missing or extra:
            problems.append(f"{locale}.json: ids missing {missing}, not in en.json {extra}")
        for entry in book.entries.values():
            other = reference.entries.get(entry.id)
            if other is not None and other.category != entry.category:
                problems.append(f"{locale}.json: {entry.id} is in another category")
    if problems:
        raise FaqError("; ".join(problems))
    return books


def _read(path: Path, locale: str) -> Book:
    """One language's file, checked field by field."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FaqError(f"{path.name}: {exc}") from None
    try:
        categories = {str(c["id"]): _text(c, "title", path) for c in raw["categories"]}
        entries: dict[str, Entry] = {}
        for item in raw["entries"]:
            missing = [f for f in ENTRY_FIELDS if not item.get(f)]
            if missing:
                raise FaqError(f"{path.name}: entry {item.get('id', '?')} lacks {missing}")
            entry = Entry(
                id=str(item["id"]),
                category=str(item["category"]),
                question=_text(item, "question", path),
                phrasings=tuple(str(p) for p in item["phrasings"]),
                keywords=tuple(str(k) for k in item["keywords"]),
                answer=_text(item, "answer", path),
            )
            if not _ID.fullmatch(entry.id) or entry.id in entries:
                raise FaqError(f"{path.name}: bad or repeated id {entry.id!r}")
            if entry.category not in categories:
                raise FaqError(f"{path.name}: {entry.id} has unknown category {entry.category}")
            entries[entry.id] = entry
        return Book(
            locale, _text(raw, "notice", path), _text(raw, "portal_note", path), categories, entries
        )
    except (KeyError, TypeError) as exc:
        raise FaqError(f"{path.name}: malformed ({exc})") from None


def _text(item: dict[str, object], name: str, path: Path) -> str:
    """A non-empty string field."""
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        raise FaqError(f"{path.name}: {name!r} missing or empty")
    return value.strip()
