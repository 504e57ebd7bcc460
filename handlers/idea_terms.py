"""The vocabulary of project ideas and skills profiles: sectors, kinds of support, statuses,
Albania's counties and spoken languages, each an id stored in the database and a name shown."""

from __future__ import annotations

from functools import cache

from babel.core import Locale

from bot.i18n import LOCALES, N_, normalize
from bot.outbox import Render
from bot.turn import Turn

Reader = Turn | Render  # whoever reads the text: a member in a step, or a recipient at send time

SECTORS = {
    "business": N_("Investment and business"),
    "research": N_("Science and research"),
    "education": N_("Education"),
    "health": N_("Health"),
    "tourism": N_("Tourism"),
    "agriculture": N_("Agriculture and food"),
    "technology": N_("Technology and innovation"),
    "culture": N_("Culture and heritage"),
    "other": N_("Other sector"),
}
DIRECTIONS = {"offer": N_("I offer something"), "seek": N_("I am looking for something")}
SUPPORT = {
    "investment": N_("Investment"),
    "expertise": N_("Expertise or mentoring"),
    "partnership": N_("Partnership"),
    "capacity": N_("Capacity building"),
    "volunteering": N_("Volunteering"),
}
STATUSES = {
    "received": N_("received"),
    "under_review": N_("under review"),
    "shortlisted": N_("shortlisted"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
}
CONTACT_WAYS = {"chat": N_("in this chat"), "email": N_("by e-mail"), "phone": N_("by phone")}
WILLING = {"mentor": N_("Mentoring"), "volunteer": N_("Volunteering"), "invest": N_("Investing")}

# Albania's 12 counties (qarqe): proper names, shown in Albanian in every language.
COUNTIES = {
    "berat": "Berat",
    "diber": "Dibër",
    "durres": "Durrës",
    "elbasan": "Elbasan",
    "fier": "Fier",
    "gjirokaster": "Gjirokastër",
    "korce": "Korçë",
    "kukes": "Kukës",
    "lezhe": "Lezhë",
    "shkoder": "Shkodër",
    "tirane": "Tiranë",
    "vlore": "Vlorë",
}
NATIONWIDE = "all"
# What people also type: the Albanian definite form, and the Italian and Greek names.
_COUNTY_ALIASES = {
    "berat": ("Berati", "Μπεράτι"),
    "diber": ("Dibra", "Ντίμπρα"),
    "durres": ("Durrësi", "Durazzo", "Δυρράχιο"),
    "elbasan": ("Elbasani", "Ελβασάν"),
    "fier": ("Fieri", "Φιέρι"),
    "gjirokaster": ("Gjirokastra", "Argirocastro", "Αργυρόκαστρο"),
    "korce": ("Korça", "Corizza", "Coriza", "Κορυτσά"),
    "kukes": ("Kukësi", "Κούκες"),
    "lezhe": ("Lezha", "Alessio", "Λέζα"),
    "shkoder": ("Shkodra", "Scutari", "Σκόδρα"),
    "tirane": ("Tirana", "Τίρανα"),
    "vlore": ("Vlora", "Valona", "Αυλώνα"),
}

# Languages offered as buttons in the skills profile; others can be typed by name.
SPOKEN = ("sq", "en", "it", "el", "de", "fr", "es")


def sector_name(reader: Reader, sector: str) -> str:
    """A sector in the reader's language."""
    return reader.t(SECTORS.get(sector, SECTORS["other"]))


def status_name(reader: Reader, status: str) -> str:
    """An idea's status in the reader's language."""
    return reader.t(STATUSES[status])


def county_name(reader: Reader, county: str) -> str:
    """A county's Albanian name, or "nationwide" in the reader's language."""
    return COUNTIES.get(county) or reader.t("Nationwide")


def find_county(text: str) -> str | None:
    """The county a typed name means (Korça, Korçë, Corizza, Κορυτσά), or None."""
    wanted = normalize(text)
    for county, name in COUNTIES.items():
        if wanted in {normalize(n) for n in (name, *_COUNTY_ALIASES[county])}:
            return county
    return None


def language_name(code: str, locale: str) -> str:
    """A language's name in the reader's language, capitalised for a button ("Italiano")."""
    name = str(Locale.parse(locale).languages.get(code, code))
    return name[:1].upper() + name[1:]


@cache
def _language_index() -> dict[str, str]:
    """Every language's name in the four languages, and each offered one's own name, folded."""
    index: dict[str, str] = {}
    for locale in LOCALES:
        for code, name in Locale.parse(locale).languages.items():
            if len(code) == 2 and code.isalpha():
                index.setdefault(normalize(name), code)
    for code in SPOKEN:
        index.setdefault(normalize(language_name(code, code)), code)
    return index


def find_language(text: str) -> str | None:
    """The language a typed name means, in any of the four languages ("tedesco" → de), or None."""
    return _language_index().get(normalize(text))
