"""Consent versions: after the notice changes, the next answer (mid-flow too) shows it before
anything new is stored; declining stores nothing; seeing and erasing data never wait for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.config import Settings
from bot.engine import Engine
from bot.i18n import Catalogs
from handlers import build_registry
from storage.database import Database
from tests.harness import Chat
from tests.personal_fixtures import onboard

NEWER = "2027-06"


def newer(db: Database, catalogs: Catalogs, settings: Settings, key: str) -> Chat:
    """The same user talking to a bot whose privacy notice has a new version."""
    engine = Engine(db, build_registry(), catalogs, replace(settings, privacy_notice_version=NEWER))
    return Chat(engine, key, hint="en")


async def count(db: Database, sql: str) -> int:
    """A count read on the read-only connection."""
    row = await db.read_one(sql)
    assert row is not None
    return int(row[0])


async def test_a_question_written_under_the_old_notice_waits_for_the_new_one(
    chat: Callable[..., Chat], db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    member = await onboard(chat, "telegram:6301")
    await member.send("/ask")
    await member.send("How do I register my child born in Greece?")
    await member.press("skip")
    assert member.button("Send it") is not None
    again = newer(db, catalogs, settings, member.user)
    again.replies = member.replies  # the same summary, now answered under the new notice
    await again.press("Send it")
    assert again.last.title == "Privacy notice"
    assert again.last.text.startswith("Our privacy notice has changed.")
    assert f"Privacy notice version {NEWER}." in again.last.text
    assert await count(db, "SELECT count(*) FROM questions") == 0
    await again.press("I agree")
    assert again.replies[0].text == "Thank you."
    assert again.last.text.startswith("Your question:\nHow do I register my child")  # asked again
    await again.press("Send it")
    assert "Its reference is Q-" in again.replies[0].text
    row = await db.read_one("SELECT consent_version FROM users WHERE key = 'telegram:6301'")
    assert row is not None and row[0] == NEWER


async def test_declining_the_new_notice_mid_flow_stores_nothing(
    chat: Callable[..., Chat], db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    member = await onboard(chat, "telegram:6302")
    await member.send("/newidea")
    await member.press("agriculture")
    again = newer(db, catalogs, settings, member.user)
    again.replies = member.replies
    await again.press("offer")
    assert again.last.title == "Privacy notice"
    await again.press("Not now")
    assert again.last.text == "Do you offer something, or are you looking for something?"
    await again.press("offer")  # storing needs the agreement: asked, declined, nothing kept
    assert again.last.title == "Privacy notice"
    await again.press("Not now")
    assert again.replies[0].text.startswith("Understood: nothing was stored.")
    assert again.last.title == "Main menu"
    row = await db.read_one("SELECT fields FROM idea_drafts WHERE user_key = 'telegram:6302'")
    assert row is not None and "direction" not in row[0]  # only what was given before


async def test_the_next_contact_at_the_menu_asks_first(
    chat: Callable[..., Chat], db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    member = await onboard(chat, "telegram:6303")
    again = newer(db, catalogs, settings, member.user)
    await again.send("where can I renew my passport")  # free text at the menu is an answer
    assert again.last.title == "Privacy notice"
    await again.press("I agree")
    assert again.last.title == "Main menu"


async def test_seeing_stopping_and_erasing_never_wait_for_the_new_notice(
    chat: Callable[..., Chat], db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    member = await onboard(chat, "telegram:6304", country="IT")
    await member.send("/skills")
    again = newer(db, catalogs, settings, member.user)
    await again.send("/mydata")
    assert again.replies[0].title == "Your data"
    await again.send("language")  # to read the new notice in another language, first
    await again.press("Italiano")
    assert again.replies[0].text == "D'ora in poi Le scriverò in italiano."
    await again.send("/language")
    await again.press("English")
    await again.send("STOP")
    assert again.replies[0].text.startswith("Done: we will send you nothing on our own")
    await again.send("/delete")
    await again.press("Yes, delete everything")
    assert again.last.title == "Your data is deleted"
    assert await count(db, "SELECT count(*) FROM users WHERE country IS NOT NULL") == 0


async def test_a_vote_asks_for_agreement_first_and_is_kept_only_after_it(
    chat: Callable[..., Chat], db: Database
) -> None:
    user = chat("telegram:6305", hint="en")
    await user.send("/start")
    await user.press("en")
    await user.press("later")
    await user.send("how do I renew my passport")
    question = user.replies[0].title
    await user.press("Yes, it helped")
    assert user.replies[0].text.startswith("Before we store anything about you")
    assert await count(db, "SELECT count(*) FROM faq_feedback") == 0
    await user.press("agree")  # back to the same answer, to vote again
    assert user.replies[0].text == "Thank you." and user.replies[1].title == question
    await user.press("Yes, it helped")
    assert user.replies[0].text == "Thank you for telling us."
    assert await count(db, "SELECT count(*) FROM faq_feedback WHERE helpful = 1") == 1


async def test_the_notice_says_how_to_see_and_erase_and_how_long_things_are_kept(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = chat("telegram:6306", hint="en")
    await user.send("/start")
    await user.press("en")
    text = user.last.text
    for part in (
        "/mydata",
        "/delete",
        "An unfinished project idea or conversation: 90 days",
        "recent messages and our replies: 7 days",
        "messages we sent you: 90 days",
        "deletes your questions to the officers with their answers",
        "STOP",
        "your Telegram user number or WhatsApp phone number",
        "when you last wrote to us",
        "whether you sent STOP",
    ):
        assert part in text, part
