"""Languages: negotiation, translation with placeholders, dates across DST, numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import LOCALES, Catalogs, negotiate, normalize, placeholders


@pytest.mark.parametrize(
    ("stored", "hint", "expected"),
    [
        ("el", "it-IT", "el"),  # the stored choice wins
        (None, "it-IT", "it"),  # then the platform's hint
        (None, "en_US", "en"),
        (None, "sq-AL", "sq"),
        (None, "IT", "it"),  # a hint in capitals is still Italian, not the English fallback
        (None, "EL-gr", "el"),
        (None, "fr", "sq"),  # then the default
        (None, None, "sq"),
        ("xx", None, "sq"),
    ],
)
def test_negotiation(stored: str | None, hint: str | None, expected: str) -> None:
    assert negotiate(stored, hint, "sq") == expected


def test_each_catalog_really_translates(catalogs: Catalogs) -> None:
    english = "Which language would you like me to use?"
    seen = {catalogs.translator(locale).t(english) for locale in LOCALES}
    assert len(seen) == 4


def test_placeholders_and_numbers_follow_the_locale(catalogs: Catalogs) -> None:
    message = "That message is too long: please keep it under {limit} characters."
    assert "4,096" in catalogs.translator("en").t(message, limit=4096)
    assert "4.096" in catalogs.translator("it").t(message, limit=4096)
    assert "4.096" in catalogs.translator("el").t(message, limit=4096)
    assert "4\u00a0096" in catalogs.translator("sq").t(message, limit=4096)


# Europe/Rome moves from CET to CEST at 01:00 UTC on 29 March 2026.
BEFORE = datetime(2026, 3, 28, 17, 30, tzinfo=UTC)
AFTER = datetime(2026, 3, 30, 17, 30, tzinfo=UTC)
EXPECTED = {
    "sq": ("sht, 28 mar 2026, 18:30", "hën, 30 mar 2026, 19:30"),
    "it": ("sab 28 mar 2026, 18:30", "lun 30 mar 2026, 19:30"),
    "el": ("Σάβ 28 Μαρ 2026, 6:30\u202fμ.μ.", "Δευ 30 Μαρ 2026, 7:30\u202fμ.μ."),
    "en": ("Sat, Mar 28, 2026, 6:30\u202fPM", "Mon, Mar 30, 2026, 7:30\u202fPM"),
}


@pytest.mark.parametrize("locale", LOCALES)
def test_dates_across_a_daylight_saving_change(catalogs: Catalogs, locale: str) -> None:
    tr = catalogs.translator(locale)
    assert (tr.datetime(BEFORE, "Europe/Rome"), tr.datetime(AFTER, "Europe/Rome")) == EXPECTED[
        locale
    ]
    # The same instants in New York, which changed two weeks earlier: 13:30 both times.
    assert tr.time(BEFORE, "America/New_York") == tr.time(AFTER, "America/New_York")
    # A date is the local date: 23:30 UTC on 28 March is already the 29th in Rome.
    late = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    assert "29" in tr.date(late, "Europe/Rome") and "28" in tr.date(late, "UTC")


def test_normalize_folds_case_accents_and_symbols() -> None:
    assert normalize("  ✓ Ndihmë ") == "ndihme"
    assert normalize("ΜΕΝΟΎ") == normalize("μενού") == "μενου"
    assert normalize("😀") == ""


def test_placeholders() -> None:
    assert placeholders("{a} and {b:>3} and {{literal}}") == {"a", "b"}
    assert placeholders("broken {") == {"<malformed>"}


def test_kosovo_time_is_not_named_after_belgrade() -> None:
    from handlers.places import zone_label, zones_for

    [zone] = zones_for("XK")
    assert zone_label(zone, "sq") == "Ora e Evropës Qendrore"
    assert all("Beog" not in zone_label(zone, locale) for locale in ("sq", "it", "el", "en"))
    assert zone_label("Europe/Rome", "sq") == "Ora e Evropës Qendrore (Romë)"


def test_a_language_is_named_as_each_language_writes_it_mid_sentence(catalogs: Catalogs) -> None:
    named = {loc: [catalogs.translator(loc).language(c) for c in LOCALES] for loc in LOCALES}
    assert named == {
        "sq": ["shqip", "italisht", "greqisht", "anglisht"],
        "it": ["albanese", "italiano", "greco", "inglese"],
        "el": ["αλβανικά", "ιταλικά", "ελληνικά", "αγγλικά"],  # not capitalised as in CLDR
        "en": ["Albanian", "Italian", "Greek", "English"],
    }
    greek = catalogs.translator("el")
    prompt = greek.t(
        "The title in {language} (up to {n} characters):", language=greek.language("el"), n=120
    )
    assert prompt == "Ο τίτλος στα ελληνικά (έως 120 χαρακτήρες):"


def test_germany_offers_one_time_zone() -> None:
    from handlers.places import zones_for

    assert zones_for("DE") == ["Europe/Berlin"]  # not also Büsingen, on the same clock


def test_a_value_ending_with_a_full_stop_does_not_double_the_sentences(catalogs: Catalogs) -> None:
    greek = catalogs.translator("el")
    when = greek.datetime(datetime(2027, 3, 29, 1, 30, tzinfo=UTC), "Europe/Athens")
    assert when.endswith("π.μ.")
    said = greek.t("It is scheduled for {when}.", when=when)
    assert said == f"It is scheduled for {when}" and not said.endswith("..")
    assert greek.t("At {when}. Then {n}.", when=when, n=3) == f"At {when} Then 3."
    # The template's own ellipsis, a value without a stop, escapes and formats stay as written.
    assert greek.t("{when}... later", when=when) == f"{when}... later"
    assert greek.t("Until {day}.", day="Monday") == "Until Monday."
    assert greek.t("{{braces}} {x!r}.{y:>3}.", x="a.", y="b") == "{braces} 'a.'.  b."
    assert greek.t("{a}.{b}.", a="x.", b="y.") == "x.y."
