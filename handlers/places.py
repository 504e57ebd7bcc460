"""Countries of residence and time zones, named by Babel's CLDR data in the user's language."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.core import Locale, get_global
from babel.dates import get_timezone_name

from bot.i18n import LOCALES, normalize

# The countries offered first: where most Albanians abroad live, then home.
COUNTRIES = ("IT", "GR", "US", "GB", "DE", "CH", "AL", "XK")
# Kosovo keeps Europe/Belgrade's time (the tz database has no zone of its own): named without
# its city, which would read "Belgrade" to a user in Prishtina.
UNNAMED_CITY = frozenset({"Europe/Belgrade"})

# CLDR lists no zone for Kosovo, dozens for the USA or Canada, and an enclave beside Berlin for
# Germany: these are the ones people live by.
_ZONES = {
    "XK": ("Europe/Belgrade",),
    "DE": ("Europe/Berlin",),  # not also Büsingen, an enclave on Zurich's (the same) clock
    "US": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    ),
    "CA": (
        "America/St_Johns",
        "America/Halifax",
        "America/Toronto",
        "America/Winnipeg",
        "America/Regina",
        "America/Edmonton",
        "America/Vancouver",
    ),
    "AU": (
        "Australia/Sydney",
        "Australia/Melbourne",
        "Australia/Brisbane",
        "Australia/Adelaide",
        "Australia/Darwin",
        "Australia/Perth",
    ),
}
MAX_ZONE_CHOICES = 8


def country_name(code: str, locale: str) -> str:
    """A country's name in a language ("Greqi", "Grecia", "Ελλάδα", "Greece")."""
    return str(Locale.parse(locale).territories.get(code, code))


@cache
def _country_index() -> dict[str, str]:
    """Every country name in all four languages, folded, mapped to its code."""
    index: dict[str, str] = {}
    zones = get_global("territory_zones")
    for locale in LOCALES:
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha() and (code in zones or code in _ZONES):
                index.setdefault(normalize(name), code)
    return index


def find_country(text: str) -> str | None:
    """The country a typed name means, in any of the four languages, or None."""
    folded = normalize(text)
    if not folded:
        return None
    index = _country_index()
    if folded in index:
        return index[folded]
    starting = {code for name, code in index.items() if name.startswith(folded)}
    return starting.pop() if len(starting) == 1 and len(folded) >= 3 else None


def zones_for(country: str) -> list[str]:
    """The time zones to offer for a country, one per distinct name, at most a handful."""
    if country in _ZONES:
        return list(_ZONES[country])
    listed = [z for z in get_global("territory_zones").get(country, ()) if z in _known_zones()]
    seen: dict[str, str] = {}
    for zone in sorted(listed, key=_offset_minutes):
        seen.setdefault(zone_label(zone, "en"), zone)
    return list(seen.values())[:MAX_ZONE_CHOICES]


def zone_label(zone: str, locale: str) -> str:
    """A zone's everyday name, with its main city: "Ora e Evropës Qendrore (Romë)"."""
    tz = ZoneInfo(zone)
    name = get_timezone_name(tz, "long", locale=locale, zone_variant="generic")
    if zone in UNNAMED_CITY:
        return name
    city = Locale.parse(locale).time_zones.get(zone, {}).get("city")
    city = city or zone.rsplit("/", 1)[-1].replace("_", " ")  # CLDR omits it where it is the id
    return f"{name} ({city})"


def find_zone(text: str) -> str | None:
    """An IANA zone name typed by the user (`Europe/Rome`, case-insensitive)."""
    wanted = text.strip().replace(" ", "_").casefold()
    return next((z for z in _known_zones() if z.casefold() == wanted), None)


@cache
def _known_zones() -> frozenset[str]:
    """The zones this system's tz database knows."""
    return frozenset(available_timezones())


def _offset_minutes(zone: str) -> int:
    """A zone's offset from UTC in January, to order choices east to west."""
    offset = datetime(2026, 1, 15, tzinfo=ZoneInfo(zone)).utcoffset()
    return -int(offset.total_seconds() // 60) if offset is not None else 0
