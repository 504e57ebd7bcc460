"""First contact, consent as a sub-flow, the profile, settings and languages, end to end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.i18n import LANGUAGE_NAMES, Catalogs
from handlers import build_registry
from storage import users
from storage.database import Database
from tests.harness import Chat

# Words only each catalog has (glossary terms): a silent fallback to English fails these.
AGREE = {"sq": "Pranoj", "it": "Accetto", "el": "Συμφωνώ", "en": "I agree"}
SETTINGS = {"sq": "Cilësimet", "it": "Impostazioni", "el": "Ρυθμίσεις", "en": "Settings"}
GREECE = {"sq": "Greqi", "it": "Grecia", "el": "Ελλάδα", "en": "Greece"}


async def stored(engine: Engine, key: str) -> users.User:
    """The user's row as stored."""
    async with engine.db.transaction() as tx:
        user = await users.get(tx, key)
    assert user is not None
    return user


@pytest.mark.parametrize("locale", ["sq", "it", "el", "en"])
async def test_whole_first_contact_in_each_language(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs, locale: str
) -> None:
    member = chat(f"telegram:20{len(locale)}{ord(locale[0])}")
    await member.send("/start")
    assert member.labels[0].startswith("✓ ")  # the likely language marked, not chosen
    await member.press(LANGUAGE_NAMES[locale])
    t = catalogs.translator(locale).t
    assert member.replies[0].text == t("From now on I will write to you in English.")
    assert AGREE[locale] in member.labels
    await member.press(AGREE[locale])
    assert GREECE[locale] in member.labels
    await member.press(GREECE[locale])
    assert member.last.text == t("Which city do you live in?")
    await member.send("Θεσσαλονίκη")
    assert (
        t("Your profile:\nCountry: {country}\nCity: {city}\nTime zone: {zone}").split("\n")[0]
        in member.text
    )
    assert SETTINGS[locale] in member.labels
    assert member.last.title == t("Main menu")
    user = await stored(engine, member.user)
    assert (user.locale, user.country, user.city, user.time_zone) == (
        locale,
        "GR",
        "Θεσσαλονίκη",
        "Europe/Athens",
    )
    assert user.consent_version == engine.settings.privacy_notice_version
    assert user.consent_at is not None


async def test_platform_hint_is_preselected_and_speaks_the_picker(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    member = chat("telegram:301", hint="it-IT")
    await member.send("ciao")
    assert member.labels == ["Shqip", "✓ Italiano", "Ελληνικά", "English"]
    question = catalogs.translator("it").t("Which language would you like me to use?")
    assert question != "Which language would you like me to use?"
    assert member.last.text == question
    await member.press("Shqip")  # the hint never forces the choice
    assert member.replies[0].text == "Tani e tutje do t'ju shkruaj në shqip."


async def test_not_now_then_a_feature_needing_consent_then_agree_continues(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    member = chat("telegram:302", hint="en")
    await member.send("/start")
    await member.press("English")
    await member.press("Not now")
    assert member.last.title == "Main menu"
    assert (await stored(engine, member.user)).consent_version is None
    await member.press("Settings")
    await member.press("Profile")
    assert member.last.title == "Privacy notice"
    await member.press("I agree")
    assert member.replies[0].text == "Thank you."
    assert member.last.text.startswith("Which country do you live in?")
    await member.send("2")
    await member.press("Skip")
    assert member.last.title == "Settings"  # the profile returns to Settings, where it started


async def test_not_now_inside_a_feature_stores_nothing_and_stops(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    member = chat("telegram:303", hint="en")
    await member.send("/start")
    await member.press("English")
    await member.press("Not now")
    await member.press("Settings")
    await member.press("Profile")
    await member.press("Not now")
    assert member.replies[0].text.startswith("Understood: nothing was stored.")
    assert member.last.title == "Main menu"
    user = await stored(engine, member.user)
    assert (user.consent_version, user.country) == (None, None)


async def test_switching_language_mid_flow_returns_to_the_same_question(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    member = chat("telegram:304", hint="en")
    await member.send("/start")
    await member.press("English")
    await member.press("I agree")
    await member.press("Italy")
    assert member.last.text == "Which city do you live in?"
    await member.send("lingua")  # the global word, in any language
    assert member.last.title == "Gjuha · Lingua · Γλώσσα · Language"
    await member.press("Italiano")
    assert [r.text for r in member.replies] == [
        "D'ora in poi Le scriverò in italiano.",
        "In quale città vive?",
    ]
    await member.send("Milano")
    user = await stored(engine, member.user)
    assert (user.locale, user.city, user.time_zone) == ("it", "Milano", "Europe/Rome")


async def test_changed_privacy_notice_version_asks_again(
    db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    first = Chat(Engine(db, build_registry(), catalogs, settings), "telegram:305", hint="en")
    await first.send("/start")
    await first.press("English")
    await first.press("I agree")
    await first.press("Skip")
    assert first.last.title == "Main menu"

    newer = Settings(
        flood_messages=10_000,  # tests send fast; flood control has its own tests
        database_path=settings.database_path,
        privacy_notice_version="2027-01",
    )
    again = Chat(Engine(db, build_registry(), catalogs, newer), "telegram:305", hint="en")
    await again.send("menu")
    assert again.last.title == "Privacy notice"
    assert again.last.text.startswith("Our privacy notice has changed.")
    assert "2027-01" in again.last.text
    await again.press("Not now")  # declining the new version: not asked at every menu
    assert again.last.title == "Main menu"
    await again.send("menu")
    assert again.last.title == "Main menu"
    await again.press("Settings")
    await again.press("Profile")
    assert again.last.title == "Privacy notice"  # but features that store data still ask
    await again.press("I agree")
    async with db.transaction() as tx:
        user = await users.get(tx, "telegram:305")
    assert user is not None and user.consent_version == "2027-01"


async def test_another_country_by_name_in_any_language(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    member = chat("telegram:306", hint="en")
    await member.send("/start")
    await member.press("English")
    await member.press("I agree")
    await member.press("Another country")
    await member.send("Atlantis")
    assert member.replies[0].text.startswith("I could not find a country called “Atlantis”")
    await member.send("Kanada")  # Albanian for Canada
    assert member.last.text == "Which city do you live in?"
    await member.send("Toronto")
    assert member.last.text.startswith("Which time zone should I use")
    assert "Eastern Time (Toronto)" in member.labels
    await member.press("Eastern Time (Toronto)")
    user = await stored(engine, member.user)
    assert (user.country, user.time_zone) == ("CA", "America/Toronto")


async def test_city_that_is_not_a_name_is_refused(chat: Callable[..., Chat]) -> None:
    member = chat("telegram:307", hint="en")
    await member.send("/start")
    await member.press("English")
    await member.press("I agree")
    await member.press("Greece")
    await member.send("12345")
    assert member.replies[0].text == "Please type just the name of the city (up to 80 characters)."
    await member.send("x" * 81)
    assert member.replies[0].text == "Please type just the name of the city (up to 80 characters)."
    assert member.last.text == "Which city do you live in?"


async def test_settings_change_time_zone_and_announcements(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    member = chat("telegram:308", hint="en")
    await member.send("/start")
    await member.press("English")
    await member.press("I agree")
    await member.press("United States")
    await member.press("Skip")
    assert member.last.text.startswith("Which time zone should I use")
    await member.press("Central Time (Chicago)")
    await member.send("/settings")
    assert "Announcements: on" in member.last.text
    await member.press("Turn announcements off")
    assert member.replies[0].text == "Announcements are now off."
    assert "Announcements: off" in member.last.text
    await member.press("Time zone")
    await member.send("europe/tirane")
    assert member.replies[0].text.startswith("Time zone: ")
    assert member.last.title == "Settings"
    await member.press("Time zone")
    await member.send("Mars/Olympus")
    assert member.replies[0].text.startswith("I do not know that time zone.")
    user = await stored(engine, member.user)
    assert (user.announcements, user.time_zone) == (False, "Europe/Tirane")


async def test_settings_shows_the_privacy_notice_again(chat: Callable[..., Chat]) -> None:
    member = chat("telegram:309", hint="en")
    await member.send("/start")
    await member.press("English")
    await member.press("I agree")
    await member.press("Skip")
    await member.press("Settings")
    assert "Privacy notice: agreed on " in member.last.text
    await member.press("Privacy notice")
    assert member.replies[0].title == "Privacy notice"
    assert "Privacy notice version 2026-12." in member.replies[0].text
    assert member.last.title == "Settings"


async def test_returning_user_start_goes_to_the_menu(chat: Callable[..., Chat]) -> None:
    member = chat("telegram:310", hint="sq")
    await member.send("/start")
    await member.press("Shqip")
    await member.press("Jo tani")
    await member.send("/start")
    assert [r.title for r in member.replies] == ["Menyja kryesore"]


async def test_back_from_the_consent_question_returns_to_settings(
    chat: Callable[..., Chat],
) -> None:
    member = chat("telegram:311", hint="en")
    await member.send("/start")
    await member.press("English")
    await member.press("Not now")
    await member.press("Settings")
    await member.press("Profile")
    assert member.last.title == "Privacy notice"
    await member.send("back")
    assert member.last.title == "Settings"


def test_database_path_fixture_is_fresh(db_path: Path) -> None:
    assert not db_path.exists()


@pytest.mark.parametrize("locale", ["sq", "it", "el", "en"])
async def test_help_lists_the_registrys_words_in_each_language(
    chat: Callable[..., Chat], catalogs: Catalogs, locale: str
) -> None:
    member = chat(f"telegram:21{len(locale)}{ord(locale[0])}")
    await member.send("/start")
    await member.press(LANGUAGE_NAMES[locale])
    await member.press(AGREE[locale])
    t = catalogs.translator(locale).t
    await member.send(t("help"))  # the word, in the member's language
    text = member.replies[0].text
    for word, meaning in [
        ("STOP", "stop every message we send on our own"),
        ("START", "turn those messages back on"),
        ("language", "change the language"),
        ("help", "this help"),
    ]:
        assert f"{t(word)} – {t(meaning)}" in text
    assert "/stats" not in text  # an admin's command, not a member's
