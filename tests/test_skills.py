"""The skills profile: opt-in, created and edited field by field, erased in Settings, exported,
and the announcement audiences it and project ideas make."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.i18n import Catalogs
from handlers import build_registry
from tests.harness import Chat
from tests.test_ideas import ADMIN, member, read_csv, submit


async def create(user: Chat, profession: str = "Cardiologist", sector: str = "health") -> None:
    """Create a skills profile through the flow: Italian and typed German, mentoring."""
    await user.send("/skills")
    await user.press("create")
    await user.send(profession)
    await user.press(sector)
    await user.send("15 years")
    await user.press("lang:it")
    await user.send("tedesco")  # typed, in Italian
    await user.press("done")
    await user.press("way:mentor")
    await user.press("done")


async def test_the_profile_is_opt_in_and_asks_consent_first(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = chat("telegram:7701", hint="en")
    await user.send("/start")
    await user.press("en")
    await user.press("later")
    await user.send("/skills")
    assert user.last.title == "Privacy notice"
    await user.press("I agree")
    assert user.last.title == "Skills profile"
    assert user.labels == ["Create my skills profile", "Not now"]
    await user.press("Not now")
    assert user.last.title == "Main menu"
    assert await engine.db.read_one("SELECT 1 FROM skills_profiles") is None


async def test_create_then_edit_each_field(chat: Callable[..., Chat], engine: Engine) -> None:
    user = await member(chat, "telegram:7702")
    await create(user)
    assert user.replies[0].text.startswith("Your skills profile is saved.")
    assert user.last.text == (
        "Profession: Cardiologist\nSector of expertise: Health\nExperience: 15 years\n"
        "Languages: Italian, German\nWould help by: Mentoring"
    )
    await user.press("edit:profession")
    await user.send("Paediatric cardiologist")
    await user.press("edit:sector")
    await user.press("research")
    await user.press("edit:years")
    for wrong in ("twenty", "-3", "2.5", "5 or 10", "71"):  # none is a number of years to keep
        await user.send(wrong)
        assert user.replies[0].text.startswith("Please type the number of years, from 0 to 70")
    await user.send("1")
    await user.press("edit:languages")
    assert "✓ Italian" in user.labels and "✓ German" in user.labels
    await user.press("✓ German")  # tapping a chosen one takes it away
    await user.send("Klingon")
    assert user.replies[0].text.startswith("I do not know a language called “Klingon”.")
    await user.send("Shqip")  # a language's own name
    await user.press("done")
    await user.press("edit:willing")
    await user.press("way:mentor")
    await user.press("way:invest")
    await user.press("way:volunteer")
    await user.press("done")
    assert user.replies[0].text == "Saved."
    assert user.last.text == (
        "Profession: Paediatric cardiologist\nSector of expertise: Science and research\n"
        "Experience: 1 year\nLanguages: Italian, Albanian\nWould help by: Volunteering, Investing"
    )
    row = await engine.db.read_one(
        "SELECT profession, sector, years, languages, mentor, volunteer, invest"
        " FROM skills_profiles"
    )
    assert row is not None and tuple(row) == (
        "Paediatric cardiologist",
        "research",
        1,
        "it sq",
        0,
        1,
        1,
    )


async def test_languages_need_at_least_one(chat: Callable[..., Chat]) -> None:
    user = await member(chat, "telegram:7703")
    await user.send("/skills")
    await user.press("create")
    await user.send("Engineer")
    await user.press("technology")
    await user.send("8")
    await user.press("done")
    assert user.replies[0].text == "Please choose at least one language."


async def test_it_is_edited_and_erased_in_settings(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs
) -> None:
    user = await member(chat, "telegram:7704", "el")
    t = catalogs.translator("el").t
    await user.send("/settings")
    assert t("Skills profile: {state}", state=t("none")) in user.last.text
    await user.press(t("Skills profile"))
    await user.press("create")
    await user.send("Γεωπόνος")
    await user.press("agriculture")
    await user.send("30")
    await user.press("lang:el")
    await user.press("done")
    await user.press("done")  # no way of helping for now
    assert t("Would help by: {ways}", ways=t("not for now")) in user.last.text
    await user.press(t("Done"))
    assert user.last.title == t("Settings")  # back where it was opened
    assert t("Skills profile: {state}", state=t("saved")) in user.last.text
    await user.press(t("Skills profile"))
    await user.press(t("Delete my skills profile"))
    await user.press(t("No, keep it"))
    assert user.last.title == t("Your skills profile")
    await user.press(t("Delete my skills profile"))
    await user.press(t("Yes, delete it"))
    assert user.replies[0].text == t("Your skills profile is deleted.")
    assert user.last.title == t("Settings")
    assert t("Skills profile: {state}", state=t("none")) in user.last.text
    assert await engine.db.read_one("SELECT 1 FROM skills_profiles") is None


async def test_erasing_needs_no_agreement_to_a_newer_privacy_notice(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs, settings: Settings
) -> None:
    user = await member(chat, "telegram:7708")
    await create(user)
    newer = Settings(
        flood_messages=10_000,  # tests send fast; flood control has its own tests
        database_path=settings.database_path,
        privacy_notice_version="2027-01",
    )
    user.engine = Engine(engine.db, build_registry(), catalogs, newer)
    await user.send("/skills")
    assert user.last.title == "Your skills profile"
    await user.press("edit:years")  # changing it stores data: the new notice first
    assert user.last.title == "Privacy notice"
    await user.press("Not now")
    await user.send("/skills")
    await user.press("Delete my skills profile")
    await user.press("Yes, delete it")
    assert user.replies[0].text == "Your skills profile is deleted."
    assert await engine.db.read_one("SELECT 1 FROM skills_profiles") is None


async def test_the_export_lists_profiles_with_headers_in_the_admins_language(
    chat: Callable[..., Chat],
) -> None:
    user = await member(chat, "telegram:7705", country="GR")
    await create(user, profession="-2+3 engineer")  # a formula-like start is made harmless
    admin = await member(chat, ADMIN, "sq")
    await admin.send("/reviewideas")
    await admin.press("export:skills")
    header, row = read_csv(admin.replies[0].attachment)
    cells = dict(zip(header, row, strict=True))
    assert header[0] == "Anëtari"
    assert cells["Profesioni"] == "'-2+3 engineer"
    assert cells["Vendi i banimit"] == "Greqi"
    assert cells["Gjuha"] == "anglisht"  # named in the admin's language, not a code
    assert cells["Gjuhët që flet"] == "Italisht, Gjermanisht"
    assert (cells["Mentorim"], cells["Vullnetarizëm"], cells["Investim"]) == ("po", "jo", "jo")


async def test_audiences_select_mentors_in_health_and_idea_submitters(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    mentor = await member(chat, "telegram:7706")
    await create(mentor)  # health, mentoring
    investor = await member(chat, "telegram:7707")
    await create(investor, sector="business")
    await investor.press("edit:willing")
    await investor.press("way:mentor")
    await investor.press("way:invest")
    await investor.press("done")
    await submit(mentor, "Telemedicine for Kukës")

    async def keys(*chosen: tuple[str, dict[str, str]]) -> list[str]:
        sql, params = engine.registry.audience_query(list(chosen))
        return sorted(r[0] for r in await engine.db.read_all(sql, params))

    mentors_in_health = ("skills", {"sector": "health", "willing": "mentor"})
    assert await keys(mentors_in_health) == ["telegram:7706"]
    assert await keys(("skills", {"sector": "any", "willing": "invest"})) == ["telegram:7707"]
    assert await keys(("skills", {"sector": "any", "willing": "any"})) == [
        "telegram:7706",
        "telegram:7707",
    ]
    submitted = ("idea_submitters", {"sector": "agriculture", "status": "received"})
    assert await keys(submitted) == ["telegram:7706"]
    assert await keys(("idea_submitters", {"sector": "health", "status": "any"})) == []
    assert await keys(submitted, mentors_in_health) == ["telegram:7706"]  # AND
    with pytest.raises(ValueError, match="unknown value"):
        engine.registry.audience_query([("skills", {"sector": "x' OR 1=1 --", "willing": "any"})])
