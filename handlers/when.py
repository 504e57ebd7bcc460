"""Dates and times typed naturally, in any of the four languages, read in an event's time zone.

"28.03.2027 18:30", "2027-03-28 18:30", "28 marzo 2027 ore 18:30", "28 Μαρτίου 2027 6:30 μμ",
"March 28, 2027 6:30 pm"; a time alone ("20:30") when a day is already known (the end).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from babel.core import Locale

from bot.i18n import LOCALES


@dataclass(frozen=True, slots=True)
class Reading:
    """A typed moment: the instant (UTC), or why it could not be read."""

    moment: datetime | None = None
    problem: str | None = None  # unreadable, no_time, bad_date, gap


def _fold(text: str) -> str:
    """Lower case without accents; punctuation kept (it separates dates and times)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _months() -> dict[str, int]:
    """Month names and abbreviations in the four languages (CLDR), folded, to their number."""
    names: dict[str, int] = {}
    for locale in LOCALES:
        months = Locale.parse(locale).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in months[context][width].items():
                    names.setdefault(_fold(str(name)).rstrip("."), number)
    return names


_WORD = r"([^\W\d_]+)\.?"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(?<![\d:])(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?![\d:])")
_DAY_MONTH = re.compile(r"(?<![\d:.])(\d{1,2})\.?\s+" + _WORD + r"(?:,?\s+(\d{4}))?")
_MONTH_DAY = re.compile(_WORD + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?(?![\d:.])")
_TIME = re.compile(
    r"(?<![\d.:])(\d{1,2})(?:[:.h](\d{2}))?\s*"
    r"(a\.?\s?m\.?|p\.?\s?m\.?|π\.?\s?μ\.?|μ\.?\s?μ\.?|p\.?\s?d\.?|m\.?\s?d\.?"
    r"|e\s+pasdites|e\s+paradites)?"
    r"(?![\d.:])"
)
# pm, μ.μ., m.d. and e pasdites (Albanian: mbasdite, afternoon); p.d. is paradite, the morning
_AFTERNOON = frozenset({"pm", "μμ", "md", "epasdites"})


def _date(text: str, today: date) -> tuple[date | None, str, bool]:
    """The date in a text, the text without it, and whether a date was seen at all."""
    found = _ISO.search(text)
    if found:
        y, m, d = (int(g) for g in found.groups())
        return _make(y, m, d), _cut(text, found), True
    found = _NUMERIC.search(text)
    if found:
        d, m, y = (int(g) for g in found.groups())
        return _make(y + 2000 if y < 100 else y, m, d), _cut(text, found), True
    for pattern, day_first in ((_DAY_MONTH, True), (_MONTH_DAY, False)):
        for found in pattern.finditer(text):
            a, b, year = found.groups()
            day, word = (a, b) if day_first else (b, a)
            month = _months().get(word.rstrip("."))
            if month is None:
                continue
            if year is not None:
                return _make(int(year), month, int(day)), _cut(text, found), True
            this_year = _make(today.year, month, int(day))
            if this_year is not None and this_year < today:
                this_year = _make(today.year + 1, month, int(day))
            return this_year, _cut(text, found), True
    return None, text, False


def _make(year: int, month: int, day: int) -> date | None:
    """A date, or None when it does not exist (31 February)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _cut(text: str, found: re.Match[str]) -> str:
    """The text without a match."""
    return f"{text[: found.start()]} {text[found.end() :]}"


def _time(text: str) -> tuple[time | None, bool]:
    """The time of day in a text, and whether something like one was seen."""
    for found in _TIME.finditer(text):
        hour_text, minute_text, marker = found.groups()
        if minute_text is None and marker is None:
            continue  # a bare number is no time
        hour, minute = int(hour_text), int(minute_text or 0)
        if marker is not None:
            if not 1 <= hour <= 12:
                return None, True
            afternoon = re.sub(r"[.\s]", "", marker) in _AFTERNOON
            hour = hour % 12 + (12 if afternoon else 0)
        if hour > 23 or minute > 59:
            return None, True
        return time(hour, minute), True
    return None, False


def read(text: str, zone: str, now: datetime, day: date | None = None) -> Reading:
    """Read a typed date and time in a zone; `day` is used when only a time is typed."""
    folded = _fold(text)
    tz = ZoneInfo(zone)
    found_day, rest, seen = _date(folded, now.astimezone(tz).date())
    if seen and found_day is None:
        return Reading(problem="bad_date")
    found_time, time_seen = _time(rest)
    if found_time is None:
        if time_seen:
            return Reading(problem="bad_date")
        return Reading(problem="no_time" if seen else "unreadable")
    found_day = found_day or day
    if found_day is None:
        return Reading(problem="unreadable")
    local = datetime.combine(found_day, found_time, tzinfo=tz)  # fold=0: the first of two
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return Reading(problem="gap")  # skipped when the clocks went forward
    return Reading(local.astimezone(UTC))
