"""Sample events for the console demo: clearly marked, dated from today, with no invented facts.

No venue, address, fee or contact is given: the samples say the venue is to be announced.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage import events
from storage.clock import utcnow
from storage.database import Tx
from storage.events import Text

_MEETING = {
    "sq": (
        "Takim me komunitetin shqiptar {in_sq}",
        "Shembull për demonstrimin. Një takim i Ministrisë për Evropën dhe Punët e Jashtme dhe"
        " IOM-it me shqiptarët që jetojnë {in_sq}: shërbimet konsullore, projektet për"
        " zhvillimin e Shqipërisë dhe pyetjet tuaja.",
    ),
    "it": (
        "Incontro con la comunità albanese {in_it}",
        "Esempio per la dimostrazione. Un incontro del Ministero per l'Europa e gli Affari Esteri"
        " e dell'OIM con gli albanesi che vivono {in_it}: servizi consolari, progetti per lo"
        " sviluppo dell'Albania e le Sue domande.",
    ),
    "el": (
        "Συνάντηση με την αλβανική κοινότητα {in_el}",
        "Παράδειγμα για την επίδειξη. Συνάντηση του Υπουργείου Ευρώπης και Εξωτερικών και του ΔΟΜ"
        " με τους Αλβανούς που ζουν {in_el}: προξενικές υπηρεσίες, έργα για την ανάπτυξη"
        " της Αλβανίας και οι ερωτήσεις σας.",
    ),
    "en": (
        "Meeting with the Albanian community {in_en}",
        "A sample for the demo. A meeting of the Ministry for Europe and Foreign Affairs and IOM"
        " with Albanians living {in_en}: consular services, projects for Albania's"
        " development, and your questions.",
    ),
}

_SUMMIT = {
    "sq": (
        "Samiti i Diasporës",
        "Shembull për demonstrimin. Samiti i Diasporës në Tiranë: investime, shkencë, arsim dhe"
        " sipërmarrje, me shqiptarë nga e gjithë bota.",
    ),
    "it": (
        "Summit della Diaspora",
        "Esempio per la dimostrazione. Il Summit della Diaspora a Tirana: investimenti, scienza,"
        " istruzione e imprenditoria, con albanesi da tutto il mondo.",
    ),
    "el": (
        "Σύνοδος της Διασποράς",
        "Παράδειγμα για την επίδειξη. Η Σύνοδος της Διασποράς στα Τίρανα: επενδύσεις, επιστήμη,"
        " εκπαίδευση και επιχειρηματικότητα, με Αλβανούς από όλο τον κόσμο.",
    ),
    "en": (
        "Diaspora Summit",
        "A sample for the demo. The Diaspora Summit in Tirana: investment, science, education"
        " and entrepreneurship, with Albanians from all over the world.",
    ),
}

# ("in <city>" per language, country, zone, days from today, local start, hours, seats)
_MEETINGS = (
    (
        {"in_sq": "në Milano", "in_it": "a Milano", "in_el": "στο Μιλάνο", "in_en": "in Milan"},
        "IT",
        "Europe/Rome",
        7,
        time(18, 30),
        2,
        40,
    ),
    (
        {"in_sq": "në Athinë", "in_it": "ad Atene", "in_el": "στην Αθήνα", "in_en": "in Athens"},
        "GR",
        "Europe/Athens",
        12,
        time(18, 0),
        2,
        30,
    ),
    (
        {"in_sq": "në Boston", "in_it": "a Boston", "in_el": "στη Βοστώνη", "in_en": "in Boston"},
        "US",
        "America/New_York",
        20,
        time(18, 0),
        2,
        2,  # a small room, so the demo shows the waitlist
    ),
)
_CITY_SHOWN = {"IT": "Milano", "GR": "Athens", "US": "Boston"}  # as an organiser would type it


def _local(today: datetime, days: int, at: time, zone: str) -> datetime:
    """A local time `days` from today in a zone, as an aware datetime."""
    day = (today + timedelta(days=days)).date()
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone))


async def seed(tx: Tx) -> None:
    """Add the sample events (published, so the demo can sign up at once)."""
    now = utcnow()
    for cities, country, zone, days, at, hours, capacity in _MEETINGS:
        start = _local(now, days, at, zone)
        texts = {
            locale: Text(title.format(**cities), body.format(**cities))
            for locale, (title, body) in _MEETING.items()
        }
        await events.create(
            tx,
            texts=texts,
            by=None,
            now=now,
            sample=True,
            status="published",
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            deadline_at=start - timedelta(days=1),
            time_zone=zone,
            city=_CITY_SHOWN[country],
            country=country,
            capacity=capacity,
        )
    start = _local(now, 35, time(9, 30), "Europe/Tirane")
    await events.create(
        tx,
        texts={locale: Text(title, body) for locale, (title, body) in _SUMMIT.items()},
        by=None,
        now=now,
        sample=True,
        status="published",
        starts_at=start,
        ends_at=start + timedelta(hours=8),
        deadline_at=start - timedelta(days=3),
        time_zone="Europe/Tirane",
        city="Tirana",
        country="AL",
        capacity=300,
    )
