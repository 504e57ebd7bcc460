"""Project ideas: the intake in four languages, drafts, edits, validation, review and notices."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.i18n import LOCALES, Catalogs
from bot.messages import Attachment, Incoming
from handlers import build_registry
from handlers.idea_form import MAX_DESCRIPTION
from storage import ideas
from storage.clock import utcnow
from storage.database import Database
from tests.fake_telegram import FakeTelegram
from tests.fake_twilio import FakeTwilio
from tests.harness import Chat
from tests.stack import both_channels, running

ADMIN = "telegram:1"  # ADMINS in the test settings (tests/conftest.py)
OFFICER = "telegram:2"
YEAR = utcnow().year


async def member(
    chat: Callable[..., Chat], key: str, locale: str = "en", country: str | None = None
) -> Chat:
    """A user who chose a language and agreed to the privacy notice, at the main menu."""
    user = chat(key, hint=locale)
    await user.send("/start")
    await user.press(locale)
    await user.press("agree")
    if country is None:
        await user.press("skip")
    else:
        await user.press(country)
        await user.press("skip")  # no city; the time zone follows from the country
    return user


async def to_summary(user: Chat, title: str = "Olive oil cooperative in Vlorë") -> None:
    """Answer every step with buttons and short texts, up to the summary."""
    await user.send("/newidea")
    await user.press("agriculture")
    await user.press("offer")
    await user.press("investment")
    await user.send(title)
    await user.send("A cooperative that presses and exports olive oil from small family farms.")
    await user.press("done")
    await user.press("vlore")
    await user.press("chat")
    assert user.button("submit") is not None, user.text  # the summary, in any language


async def submit(user: Chat, title: str = "Olive oil cooperative in Vlorë") -> str:
    """Submit an idea from scratch; returns its reference."""
    await to_summary(user, title)
    await user.press("submit")
    found = re.search(r"IDEA-\d{4}-\d{4}", user.replies[0].text)
    assert found is not None, user.replies[0].text
    return found.group()


async def stored_draft(engine: Engine, key: str) -> dict[str, Any] | None:
    """The member's draft as stored."""
    async with engine.db.transaction() as tx:
        return await ideas.draft(tx, key)


async def grant_admin(engine: Engine, key: str) -> None:
    """Make someone who has written to the bot an admin, as /roles would."""
    async with engine.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO roles (user_key, role, granted_at) VALUES (?, 'admin', ?)",
            (key, "2026-01-01T00:00:00.000000Z"),
        )


# -- the intake ------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_whole_intake_in_each_language(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs, locale: str
) -> None:
    t = catalogs.translator(locale).t
    if locale != "en":  # a silent fallback to English would pass the rest
        assert t("Your project idea") != "Your project idea"
    user = await member(chat, f"telegram:71{LOCALES.index(locale)}0", locale)
    await user.press(t("Project ideas"))
    assert user.last.title == t("Project ideas")
    await user.press(t("Submit an idea"))
    assert user.last.text == t("Which sector is your idea about?")
    await user.press(t("Agriculture and food"))
    await user.press(t("I am looking for something"))
    assert user.last.text == t("What are you looking for?")
    await user.press(t("Partnership"))
    assert user.last.text == t(
        "What is your idea called? A short title, up to {n} characters.", n=120
    )
    await user.send("Ullishte familjare në Vlorë")
    await user.send("Kërkoj partnerë për një ullishte familjare afër Vlorës.")
    assert user.last.text == t(
        "Your description has {used} of {n} characters so far. Send more to add to it,"
        " or press Done.",
        used=55,
        n=MAX_DESCRIPTION,
    )
    await user.send("Na duhen edhe këshilla për eksportin e vajit.")
    await user.press(t("Done"))
    assert user.last.text == t("Where in Albania would it happen? Choose a county, or Nationwide.")
    await user.press("Vlorë")  # a proper name, the same in every language
    await user.press(t("Here in this chat"))
    assert user.last.title == t("Your project idea")
    assert t("Where in Albania: {county}", county="Vlorë") in user.last.text
    assert t("Sought: {support}", support=t("Partnership")) in user.last.text
    await user.press(t("Submit"))
    reference = f"IDEA-{YEAR}-0001"
    assert user.replies[0].text == t(
        "Thank you! Your project idea is submitted. Its reference is {reference}. The team"
        " will review it, and you will be told here whenever its status changes.",
        reference=reference,
    )
    row = await engine.db.read_one(
        "SELECT reference, sector, direction, support, title, description, county, contact_way,"
        " contact, locale, status FROM ideas"
    )
    assert row is not None and tuple(row) == (
        reference,
        "agriculture",
        "seek",
        "partnership",
        "Ullishte familjare në Vlorë",
        "Kërkoj partnerë për një ullishte familjare afër Vlorës.\n\n"
        "Na duhen edhe këshilla për eksportin e vajit.",
        "vlore",
        "chat",
        None,
        locale,
        "received",
    )
    assert await stored_draft(engine, user.user) is None  # submitted: the draft is gone
    await user.press(t("My ideas"))
    assert user.labels[0] == f"{reference} · {t('received')} · Ullishte familjare në Vlorë"


async def test_each_field_can_be_edited_from_the_summary(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = await member(chat, "telegram:7201", country="IT")
    await to_summary(user)
    edits: list[tuple[str, list[tuple[str, str]], str]] = [
        ("edit:sector", [("press", "health")], "Sector: Health"),
        (
            "edit:direction",
            [("press", "seek"), ("press", "capacity")],
            "Sought: Capacity building",
        ),
        ("edit:title", [("send", "Olive oil school")], "Title: Olive oil school"),
        ("edit:county", [("send", "Durazzo")], "Where in Albania: Durrës"),  # Italian name typed
        (
            "edit:contact",
            [("press", "email"), ("send", "Ana.Koci@Example.ORG")],
            "Contact: by e-mail (Ana.Koci@example.org)",
        ),
        (
            "edit:description",
            [("send", "A school for olive growers."), ("send", "With a mill."), ("press", "done")],
            "Description:\nA school for olive growers.\n\nWith a mill.",
        ),
    ]
    for edit, answers, expected in edits:
        await user.press(edit)
        for kind, value in answers:
            await (user.press(value) if kind == "press" else user.send(value))
        assert user.last.title == "Your project idea", (edit, user.text)
        assert expected in user.last.text, (edit, user.last.text)
    await user.press("edit:contact")
    await user.press("phone")
    await user.send("333 123 4567")  # read as an Italian number: the member lives in Italy
    assert "Contact: by phone (+393331234567)" in user.last.text
    await user.press("submit")
    row = await engine.db.read_one(
        "SELECT sector, direction, support, title, description, county, contact_way, contact"
        " FROM ideas"
    )
    assert row is not None and tuple(row) == (
        "health",
        "seek",
        "capacity",
        "Olive oil school",
        "A school for olive growers.\n\nWith a mill.",
        "durres",
        "phone",
        "+393331234567",
    )


async def test_editing_the_description_and_sending_nothing_keeps_it(
    chat: Callable[..., Chat],
) -> None:
    user = await member(chat, "telegram:7202")
    await to_summary(user)
    await user.press("edit:description")
    assert "If you press Done without sending anything, the current one stays." in user.last.text
    await user.press("done")
    assert user.last.title == "Your project idea"
    assert "A cooperative that presses and exports olive oil" in user.last.text


async def test_a_description_over_the_limit_is_refused_and_nothing_is_lost(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = await member(chat, "telegram:7203")
    await user.send("/newidea")
    await user.press("culture")
    await user.press("offer")
    await user.press("volunteering")
    await user.send("Restoring the old bazaar")
    assert "up to 3,000 characters in all" in user.last.text  # the limit, stated up front
    first = "word " * 580  # 2,899 characters once trimmed
    await user.send(first)
    await user.send("more " * 30)
    assert user.replies[0].text.startswith(
        "That message would make the description 3,050 characters long, over the limit of 3,000."
        " It was not added; everything you sent before is kept."
    )
    draft = await stored_draft(engine, user.user)
    assert draft is not None and draft["description"] == first.strip()
    await user.send("The end.")  # a shorter part still fits
    await user.press("done")
    draft = await stored_draft(engine, user.user)
    assert draft is not None and draft["description"] == first.strip() + "\n\nThe end."
    assert user.last.text.startswith("Where in Albania would it happen?")


async def test_done_without_a_description_asks_for_one(chat: Callable[..., Chat]) -> None:
    user = await member(chat, "telegram:7204")
    await user.send("/newidea")
    for choice in ("education", "seek", "expertise"):
        await user.press(choice)
    await user.send("x" * 121)
    assert user.replies[0].text.startswith("That title has 121 characters; please keep it under")
    await user.send("Coding club")
    await user.press("done")
    assert user.replies[0].text == "Please describe your idea in a few sentences first."


async def test_invalid_email_and_phone_are_refused_with_the_expected_shape(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = await member(chat, "telegram:7205", country="GR")
    await user.send("/newidea")
    for choice in ("tourism", "offer", "partnership"):
        await user.press(choice)
    await user.send("Guesthouses in Gjirokastër")
    await user.send("Three old stone houses turned into guesthouses for walkers.")
    await user.press("done")
    await user.press("gjirokaster")
    await user.press("email")
    for wrong in ("ana.example.org", "ana@example", "ana@@example.org", "ana koci@example.org"):
        await user.send(wrong)
        assert user.replies[0].text.startswith("That does not look like an e-mail address."), wrong
        assert user.last.text == "Please type your e-mail address."
    await user.send("back")
    await user.press("phone")
    assert user.last.text == (
        "Please type your phone number with the country code, for example +30 691 234 5678."
    )  # an example of the member's country (Greece), from the library's metadata
    for wrong in ("12345", "+39 12", "+999 123 456 789", "6912"):
        await user.send(wrong)
        assert user.replies[0].text.startswith("That does not look like a valid phone number."), (
            wrong
        )
    await user.send("691 234 5679")  # a Greek number without its country code
    assert "Contact: by phone (+306912345679)" in user.last.text
    await user.press("edit:contact")
    await user.send("hello")  # neither an address nor a number
    assert user.replies[0].text.startswith("Please choose one of the options")
    await user.send("+355 69 123 4567")  # typed right at the question: taken at once
    assert "Contact: by phone (+355691234567)" in user.last.text
    draft = await stored_draft(engine, user.user)
    assert draft is not None and draft["contact"] == "+355691234567"


async def test_the_phone_step_takes_an_address_the_email_step_a_number_both_have_a_way_back(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs
) -> None:
    user = await member(chat, "telegram:7208", country="IT")
    await to_summary(user)
    await user.press("edit:contact")
    await user.press("phone")
    assert user.labels == ["Choose another way"]
    await user.send("Ana.Koci@Example.org")  # changed their mind: an address at the phone step
    assert "Contact: by e-mail (Ana.Koci@example.org)" in user.last.text
    await user.press("edit:contact")
    await user.press("email")
    assert user.labels == ["Choose another way"]
    await user.send("333 123 4567")  # and a number (of Italy, the member's country) at this one
    assert "Contact: by phone (+393331234567)" in user.last.text
    await user.press("edit:contact")
    await user.press("phone")
    await user.send("ana@example")  # an address, but a broken one: its own advice, not a phone's
    assert user.replies[0].text.startswith("That does not look like an e-mail address.")
    await user.press("Choose another way")
    assert user.last.title == "New project idea · 6 of 6"
    await user.press("chat")
    assert "Contact: in this chat" in user.last.text
    draft = await stored_draft(engine, user.user)
    assert draft is not None and (draft["contact_way"], draft["contact"]) == ("chat", None)
    sq = catalogs.translator("sq")
    shqip = await member(chat, "telegram:7209", "sq")
    await to_summary(shqip)
    await shqip.press("edit:contact")
    await shqip.press("phone")
    assert shqip.labels == [sq.t("Choose another way")] != ["Choose another way"]


async def test_a_phone_number_without_a_country_needs_its_code(chat: Callable[..., Chat]) -> None:
    user = await member(chat, "telegram:7206")  # no country of residence given
    await to_summary(user)
    await user.press("edit:contact")
    await user.press("phone")
    await user.send("333 123 4567")
    assert user.replies[0].text.startswith("That does not look like a valid phone number.")
    await user.send("0039 333 123 4567")
    assert "Contact: by phone (+393331234567)" in user.last.text


async def test_submitting_needs_consent_and_not_now_stores_nothing(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = chat("telegram:7207", hint="en")
    await user.send("/start")
    await user.press("en")
    await user.press("later")
    await user.send("/newidea")
    assert user.last.title == "Privacy notice"
    await user.press("Not now")
    assert user.replies[0].text.startswith("Understood: nothing was stored.")
    assert user.last.title == "Main menu"
    assert await stored_draft(engine, user.user) is None
    await user.press("ideas")
    await user.press("newidea")
    await user.press("I agree")
    assert user.last.text == "Which sector is your idea about?"  # continues where it was going


# -- drafts ----------------------------------------------------------------------------------------


async def test_a_draft_is_kept_across_a_restart_and_offered_on_return(
    db_path: Path, catalogs: Catalogs, settings: Settings
) -> None:
    first = await Database.open(db_path)
    user = await member(
        lambda key, hint: Chat(Engine(first, build_registry(), catalogs, settings), key, hint),
        "telegram:7301",
    )
    await user.send("/newidea")
    for choice in ("technology", "offer", "expertise"):
        await user.press(choice)
    await user.send("Coding school in Kukës")
    await user.send("Evening courses in programming for young people, taught online.")
    await user.send("menu")  # left mid-way, before pressing Done
    await first.close()  # the process stops

    again = await Database.open(db_path)
    try:
        user.engine = Engine(again, build_registry(), catalogs, settings)
        await user.send("/ideas")
        assert "You have an unfinished idea: Coding school in Kukës." in user.last.text
        await user.press("Continue my draft")
        assert user.last.text == (  # the description so far is there, waiting for Done
            "Your description has 63 of 3,000 characters so far. Send more to add to it,"
            " or press Done."
        )
        await user.press("done")
        await user.press("kukes")
        await user.press("chat")
        assert "Title: Coding school in Kukës" in user.last.text
        assert "Evening courses in programming" in user.last.text
    finally:
        await again.close()


async def test_back_in_the_intake_opened_from_project_ideas_returns_there(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs
) -> None:
    user = await member(chat, "telegram:7303")
    await to_summary(user)
    await user.send("menu")
    await user.press("Project ideas")
    await user.press("Continue my draft")
    assert user.last.title == "Your project idea"  # every field answered: the summary
    await user.send("back")
    assert user.last.title == "Project ideas" and "Continue my draft" in user.labels
    await user.press("Continue my draft")
    await user.press("submit")
    assert user.replies[0].text.startswith("Thank you! Your project idea is submitted.")
    assert user.last.title == "Project ideas"  # back where the member came from
    assert user.labels.count("My ideas") == 1
    sq = catalogs.translator("sq")
    shqip = await member(chat, "telegram:7304", "sq")
    await shqip.press(sq.t("Project ideas"))
    await shqip.press(sq.t("Submit an idea"))
    assert shqip.last.text == sq.t("Which sector is your idea about?")
    await shqip.send(sq.t("back"))
    assert shqip.last.title == sq.t("Project ideas")


async def test_a_draft_can_be_discarded_from_the_hub_and_when_starting_again(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = await member(chat, "telegram:7302")
    await user.send("/newidea")
    await user.press("health")
    await user.send("cancel")
    await user.send("/newidea")  # the draft is offered
    assert user.labels == ["Continue my draft", "Discard it and start again"]
    await user.press("Discard it and start again")
    assert user.replies[0].text == "Your draft is discarded."
    assert user.last.text == "Which sector is your idea about?"
    assert await stored_draft(engine, user.user) is None
    await user.press("education")
    await user.send("/ideas")
    await user.press("Discard the draft")
    assert user.replies[0].text == "Your draft is discarded."
    assert "unfinished" not in user.last.text and "Submit an idea" in user.labels
    assert await stored_draft(engine, user.user) is None


async def test_the_summary_can_discard_the_draft(chat: Callable[..., Chat], engine: Engine) -> None:
    user = await member(chat, "telegram:7303")
    await to_summary(user)
    await user.press("Discard the draft")
    assert user.replies[0].text == "Your draft is discarded."
    assert user.last.title == "Main menu"
    assert await stored_draft(engine, user.user) is None
    assert await engine.db.read_one("SELECT 1 FROM ideas") is None


async def test_references_are_unique_under_concurrent_submissions(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    users = [await member(chat, f"telegram:74{i:02d}") for i in range(20)]
    for user in users:
        await to_summary(user, f"Idea of {user.user}")
    presses = [u.button("submit") for u in users]
    await asyncio.gather(
        *(
            engine.handle(Incoming(u.user, "button", payload=b.payload, message_id=f"sub{i}"))
            for i, (u, b) in enumerate(zip(users, presses, strict=True))
            if b is not None
        )
    )
    rows = await engine.db.read_all("SELECT reference, user_key, title FROM ideas ORDER BY id")
    assert sorted(r[0] for r in rows) == [f"IDEA-{YEAR}-{n:04d}" for n in range(1, 21)]
    assert all(r[2] == f"Idea of {r[1]}" for r in rows)


# -- my ideas and the review -----------------------------------------------------------------------


async def test_members_see_their_own_ideas_only(chat: Callable[..., Chat]) -> None:
    owner = await member(chat, "telegram:7501")
    reference = await submit(owner)
    await owner.send("/myideas")
    await owner.press(owner.buttons[0].payload)
    assert owner.last.title == f"{reference} · received"
    assert "A cooperative that presses" in owner.last.text
    other = await member(chat, "telegram:7502")
    await other.press("idea:1")
    assert other.replies[0].text == "I cannot find that idea among yours."
    assert "cooperative" not in other.text
    await other.send("/myideas")
    assert other.last.text == "You have not submitted a project idea yet."


async def test_non_admins_are_refused_by_menu_command_and_payload(
    chat: Callable[..., Chat],
) -> None:
    owner = await member(chat, "telegram:7503")
    await submit(owner, "A secret plan for Shkodër")
    for key in ("telegram:7504", OFFICER):  # a member, and an officer (who is no admin)
        user = await member(chat, key)
        assert "Review project ideas" not in user.labels
        await user.send("/reviewideas")
        assert user.replies[0].text == "That part is for staff only."
        for payload in ("review-idea:1", "reviewideas"):
            await user.press(payload)
            assert user.replies[0].text == "That part is for staff only."
            assert "secret plan" not in user.text
        await user.send("help")
        assert "/reviewideas" not in user.text and "/newidea" in user.text


async def test_admin_lists_by_status_sector_and_county_and_moves_an_idea_on(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    submitter = await member(chat, "telegram:7505", "it")
    await submit(submitter, "Frantoio a Valona")
    await to_summary(submitter, "Scuola di cucina a Berat")
    await submitter.press("edit:sector")
    await submitter.press("tourism")
    await submitter.press("edit:county")
    await submitter.press("berat")
    await submitter.press("submit")
    admin = await member(chat, ADMIN)
    assert "Review project ideas" in admin.labels
    await admin.press("Review project ideas")
    assert "received: 2" in admin.last.text and "2 ideas match." in admin.last.text
    await admin.press("Filter by county")
    await admin.press("Berat")
    assert "County: Berat" in admin.last.text and "1 idea matches." in admin.last.text
    assert admin.labels[0] == f"IDEA-{YEAR}-0002 · received · Scuola di cucina a Berat"
    await admin.press("Filter by sector")
    await admin.press("Agriculture and food")
    assert "0 ideas match." in admin.last.text
    await admin.press("Clear the filters")
    await admin.press("Filter by status")
    await admin.press("received")
    await admin.press(f"IDEA-{YEAR}-0001 · received · Frantoio a Valona")
    assert admin.last.title == f"IDEA-{YEAR}-0001 · received"
    assert "From telegram:7505 · language: Italian · channel: telegram" in admin.last.text
    await admin.press("Change the status")
    assert "received" not in admin.labels  # only a move to another status
    await admin.press("under review")
    await admin.send("We are reading it with the Ministry of Agriculture.")
    assert admin.replies[0].text == (
        f"IDEA-{YEAR}-0001 is now under review. The submitter will be told in their language."
    )
    assert "Message from the team: We are reading it" in admin.last.text
    await admin.press("Change the status")
    await admin.press("shortlisted")
    await admin.press("No message")
    await admin.press("Back to the list")  # the filter (received) is still in force
    assert "1 idea matches." in admin.last.text and "shortlisted: 1" in admin.last.text
    rows = await engine.db.read_all(
        "SELECT recipient, renderer, args, idempotency_key FROM outbox"
        " WHERE renderer != 'command-menu' ORDER BY id"  # the admin's first language choice
    )
    assert [tuple(r) for r in rows] == [
        ("telegram:7505", "ideas.status", '{"change":3}', "idea:1:status:3"),
        ("telegram:7505", "ideas.status", '{"change":4}', "idea:1:status:4"),
    ]
    await submitter.press("idea:1")  # the member's view, in Italian, with the history
    assert submitter.last.title == f"IDEA-{YEAR}-0001 · preselezionata"
    assert "We are reading it with the Ministry of Agriculture." in submitter.last.text


async def test_a_status_change_is_recorded_once_when_two_admins_race(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    await submit(await member(chat, "telegram:7506"))
    admins = []
    for key in (ADMIN, "telegram:7507"):
        admin = await member(chat, key)
        admins.append(admin)
    await grant_admin(engine, "telegram:7507")
    for admin in admins:
        await admin.press("review-idea:1")
        await admin.press("Change the status")
        await admin.press("declined")
    presses = [a.button("No message") for a in admins]
    results = await asyncio.gather(
        *(
            engine.handle(Incoming(a.user, "button", payload=b.payload, message_id=f"race{i}"))
            for i, (a, b) in enumerate(zip(admins, presses, strict=True))
            if b is not None
        )
    )
    texts = sorted(r.replies[0].text for r in results)
    assert texts == [
        f"IDEA-{YEAR}-0001 is already declined.",
        f"IDEA-{YEAR}-0001 is now declined. The submitter will be told in their language.",
    ]
    rows = await engine.db.read_all("SELECT 1 FROM outbox WHERE renderer = 'ideas.status'")
    assert len(rows) == 1
    again = await engine.handle(
        Incoming(admins[0].user, "button", payload="x", message_id="race0")
    )  # the platform delivers the same message again: nothing new happens
    assert again.duplicate
    rows = await engine.db.read_all("SELECT 1 FROM outbox WHERE renderer = 'ideas.status'")
    assert len(rows) == 1


def read_csv(attachment: object) -> list[list[str]]:
    """The rows of a CSV attachment (UTF-8 with a byte-order mark)."""
    assert isinstance(attachment, Attachment) and attachment.media_type == "text/csv"
    assert attachment.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(attachment.data.decode("utf-8-sig"))))


async def test_the_export_is_safe_to_open_in_a_spreadsheet_with_headers_in_the_admins_language(
    chat: Callable[..., Chat],
) -> None:
    user = await member(chat, "telegram:7508", country="IT")
    await user.send("/newidea")
    for choice in ("business", "offer", "investment"):
        await user.press(choice)
    await user.send('=HYPERLINK("http://evil.example","Click")')
    await user.send("@SUM(A1:A9) and the rest of a perfectly normal description")
    await user.press("done")
    await user.press("Nationwide")
    await user.press("phone")
    await user.send("333 123 4567")
    await user.press("submit")
    admin = await member(chat, ADMIN, "it")
    await admin.send("/reviewideas")
    await admin.press("export:ideas")
    attachment = admin.replies[0].attachment
    header, row = read_csv(attachment)
    assert isinstance(attachment, Attachment) and attachment.filename.startswith("ideas-")
    assert header[:3] == ["Riferimento", "Stato", "Settore"]
    cells = dict(zip(header, row, strict=True))
    assert cells["Titolo"] == """'=HYPERLINK("http://evil.example","Click")"""
    assert cells["Descrizione"].startswith("'@SUM(A1:A9)")
    assert cells["Contatto"] == "'+393331234567"  # a leading + is a formula too
    assert cells["Prefettura"] == "Tutto il Paese"
    assert cells["Stato"] == "ricevuta" and cells["Paese di residenza"] == "Italia"


async def test_exports_are_refused_on_whatsapp(chat: Callable[..., Chat], engine: Engine) -> None:
    admin = await member(chat, "whatsapp:+393330000001")
    await grant_admin(engine, admin.user)
    await admin.send("/reviewideas")
    await admin.press("export:skills")
    assert admin.replies[0].text.startswith("Files cannot be sent on WhatsApp.")
    assert admin.replies[0].attachment is None


# -- the notice, through the outbox ----------------------------------------------------------------


async def test_a_status_change_reaches_the_submitter_once_in_their_language_at_send_time(
    db_path: Path, fakes: tuple[FakeTelegram, FakeTwilio], catalogs: Catalogs
) -> None:
    telegram, twilio = fakes
    urls = telegram.url, twilio.url
    settings = both_channels(db_path, *urls, admins=frozenset({ADMIN}))
    async with running(settings) as (engine, worker):

        def make(key: str, hint: str) -> Chat:
            return Chat(engine, key, hint)

        user = await member(make, "telegram:7601", "sq")
        reference = await submit(user, "Shtëpi pritëse në Theth")
        admin = await member(make, ADMIN)
        await admin.press("review-idea:1")
        await admin.press("Change the status")
        await admin.press("accepted")
        await admin.send("Congratulations: the IOM office will write to you.")
        await telegram.wait_for(lambda: bool(telegram.texts(7601)))
        await worker.stop(drain=True)  # everything due is sent: nothing more may come
        rows = await engine.db.read_all("SELECT status FROM outbox WHERE renderer = 'ideas.status'")
    [text] = telegram.texts(7601)
    t = catalogs.translator("sq").t
    assert t("Project idea {reference}", reference=reference) in text
    assert t("accepted") in text and t("accepted") != "accepted"
    assert "Congratulations: the IOM office will write to you." in text
    assert [r[0] for r in rows] == ["sent"]
