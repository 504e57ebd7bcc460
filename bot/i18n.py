"""Languages: catalogs read from the .po files at start, a translator per user, Babel formats."""

from __future__ import annotations

import datetime as dt
import io
import string
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.core import Locale, negotiate_locale
from babel.dates import format_date, format_skeleton, format_time, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES = ("sq", "it", "el", "en")
LANGUAGE_NAMES = {"sq": "Shqip", "it": "Italiano", "el": "Ελληνικά", "en": "English"}
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
# CLDR gives Albanian a 12-hour clock ("6:30 m.d."); notices, timetables and people in Albania
# and Kosovo write 18:30, so its short times use the 24-hour skeleton, still formatted by Babel.
CLOCK_24 = frozenset({"sq"})


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, when shown."""
    return message


def normalize(text: str) -> str:
    """Fold case, accents and symbols so "Menù", "MENU" and "📋 menu" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = [
        ch for ch in decomposed if not unicodedata.combining(ch) and (ch.isalnum() or ch.isspace())
    ]
    return " ".join("".join(kept).split())


def negotiate(stored: str | None, hint: str | None, default: str) -> str:
    """The user's language: their stored choice, then the platform's hint, then the default."""
    if stored in LOCALES:
        return stored
    if hint:
        found = negotiate_locale([hint.replace("-", "_")], list(LOCALES), sep="_")
        if found:  # Babel returns the hint's own spelling ("IT" for "IT"): ours are lower case
            return str(found).lower()
    return default


def placeholders(message: str) -> set[str]:
    """The `{name}` fields a message uses."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}
    except ValueError:
        return {"<malformed>"}


class Translator:
    """Gettext and Babel formatting bound to one language."""

    def __init__(self, locale: str, translations: Translations) -> None:
        self.locale = locale
        self._translations = translations
        self._babel = Locale.parse(locale)

    def t(self, message: str, /, **values: Any) -> str:
        """Translate a message and fill its `{placeholders}` (numbers formatted for the locale)."""
        text = self._translations.gettext(message)
        return self._fill(text, values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        """Translate a message whose form depends on a count; `{n}` is the count, formatted."""
        text = self._translations.ngettext(singular, plural, n)
        return self._fill(text, {"n": n, **values})

    def _fill(self, text: str, values: Mapping[str, Any]) -> str:
        """Insert values, formatting numbers (never booleans) by Babel for this locale."""
        shown = {name: self._shown(value) for name, value in values.items()}
        parts: list[str] = []
        field_ends_sentence = False
        for literal, name, spec, conversion in string.Formatter().parse(text):
            # A value ending with an abbreviation's full stop ("3:30 π.μ.") before the sentence's
            # own full stop would read "π.μ.."; an ellipsis written in the template stays whole.
            if field_ends_sentence and literal.startswith(".") and not literal.startswith("..."):
                literal = literal[1:]
            parts.append(literal)
            field_ends_sentence = False
            if name is not None:
                field = "{" + name + (f"!{conversion}" if conversion else "")
                value = (field + (f":{spec}" if spec else "") + "}").format_map(shown)
                parts.append(value)
                field_ends_sentence = value.endswith(".")
        return "".join(parts)

    def _shown(self, value: Any) -> Any:
        """A number formatted for the locale (a huge one as it is); anything else unchanged."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return format_decimal(value, locale=self.locale)
            except (ArithmeticError, ValueError):  # beyond decimal's precision (1E+30...)
                return str(value)
        return value

    def datetime(self, moment: dt.datetime, zone: str | dt.tzinfo) -> str:
        """Weekday, date and time as read in a time zone: "sab 28 mar 2026, 18:30"."""
        tz = ZoneInfo(zone) if isinstance(zone, str) else zone
        day = format_skeleton("yMMMEd", moment, tzinfo=tz, locale=self.locale)
        return str(self._babel.datetime_formats["medium"]).format(self.time(moment, tz), day)

    def date(
        self,
        moment: dt.datetime | dt.date,
        zone: str | dt.tzinfo | None = None,
        width: str = "long",
    ) -> str:
        """A date; a datetime is first converted to the zone (format_date has no tzinfo)."""
        if isinstance(moment, dt.datetime) and zone is not None:
            moment = moment.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)
        return str(format_date(moment, width, locale=self.locale))

    def time(self, moment: dt.datetime, zone: str | dt.tzinfo, width: str = "short") -> str:
        """A time of day as read in a time zone."""
        tz = ZoneInfo(zone) if isinstance(zone, str) else zone
        if width == "short" and self.locale in CLOCK_24:
            return str(format_skeleton("Hm", moment, tzinfo=tz, locale=self.locale))
        return str(format_time(moment, width, tzinfo=tz, locale=self.locale))

    def number(self, value: float) -> str:
        """A number with the locale's separators."""
        return str(format_decimal(value, locale=self.locale))

    def until(self, delta: dt.timedelta) -> str:
        """How far ahead something is, as this locale says it ("in 2 hours", "tra 1 giorno")."""
        return str(format_timedelta(delta, add_direction=True, locale=self.locale))

    def language(self, code: str) -> str:
        """A language named as this locale writes it mid-sentence ("in albanese", "στα
        αλβανικά"); LANGUAGE_NAMES, each in its own language, are for pickers and labels."""
        name = str(self._babel.languages.get(code, code))
        # CLDR capitalises Greek language names, as for a heading; Greek prose does not.
        return name.lower() if self.locale == "el" else name


class Catalogs:
    """The four catalogs, read from the .po files when the process starts (no build step)."""

    def __init__(self, root: Path = LOCALES_DIR) -> None:
        self._translators = {locale: Translator(locale, _load(root, locale)) for locale in LOCALES}

    def translator(self, locale: str) -> Translator:
        """The translator for a language (unknown codes get the English one)."""
        return self._translators.get(locale, self._translators["en"])

    def all(self) -> list[Translator]:
        """One translator per language, in LOCALES order."""
        return [self._translators[locale] for locale in LOCALES]


class CatalogError(Exception):
    """A language catalog is not where the code looks for it."""


def _load(root: Path, locale: str) -> Translations:
    """Compile a .po file in memory; a missing one stops the start (it would mean English)."""
    po = root / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        raise CatalogError(
            f"{po}: no such catalog (locales/ sits beside bot/: run the bot from its source"
            " folder, installed with pip install -e)"
        )
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
