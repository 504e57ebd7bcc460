"""Roles: who sees and reaches admin entries, granting and revoking in the chat, /whoami, /help."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

from bot.engine import Engine
from bot.i18n import Catalogs
from tests.fake_telegram import Call, FakeTelegram
from tests.fake_twilio import FakeTwilio
from tests.harness import Chat
from tests.stack import both_channels, running


async def onboarded(chat: Callable[..., Chat], key: str) -> Chat:
    """A user who chose English and declined consent, now at the main menu."""
    member = chat(key, hint="en")
    await member.send("/start")
    await member.press("English")
    await member.press("Not now")
    assert member.last.title == "Main menu"
    return member


async def test_a_member_never_sees_or_reaches_an_admin_entry(chat: Callable[..., Chat]) -> None:
    member = await onboarded(chat, "telegram:400")
    assert "Roles" not in member.labels
    refused = "That part is for staff only."
    await member.press("roles")  # a forged route payload
    assert member.replies[0].text == refused
    await member.send("/roles")
    assert member.replies[0].text == refused
    await member.send("Roles")  # the admin entry's label typed: not an option here
    assert all(reply.title != "Roles" for reply in member.replies)
    assert "administrator" not in member.text
    await member.send("/help")
    assert "/roles" not in member.text
    assert "/whoami" in member.text


async def test_the_officer_role_is_no_admin(chat: Callable[..., Chat]) -> None:
    officer = await onboarded(chat, "telegram:2")  # OFFICERS in the test settings
    assert "Roles" not in officer.labels
    await officer.send("/roles")
    assert officer.replies[0].text == "That part is for staff only."
    await officer.send("/whoami")
    assert officer.replies[0].text == "Your key: telegram:2\nYour role: consular officer"


async def test_admin_grants_and_revokes_a_role(chat: Callable[..., Chat], engine: Engine) -> None:
    member = await onboarded(chat, "whatsapp:+393331234567")
    admin = await onboarded(chat, "telegram:1")  # ADMINS in the test settings
    assert "Roles" in admin.labels
    await admin.press("Roles")
    assert "telegram:1 (set in the configuration)" in admin.last.text
    assert "Revoke a role" not in admin.labels
    await admin.press("Grant a role")
    await admin.send("whatsapp:393331234567")
    assert admin.replies[0].text.startswith("That is not a key.")
    await admin.send("whatsapp:+393330000000")
    assert admin.replies[0].text.startswith("No one with that key has written to the bot yet.")
    await admin.send("whatsapp:+393331234567")
    await admin.press("consular officer")
    assert admin.replies[0].text == "Done: whatsapp:+393331234567 is now consular officer."

    rows = await engine.db.read_all(
        "SELECT recipient, renderer, args, lane FROM outbox WHERE recipient = ? ORDER BY id",
        (member.user,),
    )
    assert [tuple(r) for r in rows] == [
        ("whatsapp:+393331234567", "roles.granted", '{"role":"officer"}', "direct"),
    ]  # queued with the grant, in the same transaction (no command list: WhatsApp has none)

    await member.send("/whoami")
    assert member.replies[0].text.endswith("Your role: consular officer")

    await admin.press("Revoke a role")
    await admin.press("whatsapp:+393331234567 – consular officer")
    assert admin.replies[0].text == "Done: whatsapp:+393331234567 is no longer consular officer."
    await member.send("/whoami")
    assert member.replies[0].text.endswith("Your role: member")


async def test_a_revoked_admin_is_put_out_of_the_admin_flow(chat: Callable[..., Chat]) -> None:
    second = await onboarded(chat, "telegram:401")
    admin = await onboarded(chat, "telegram:1")
    await admin.press("Roles")
    await admin.press("Grant a role")
    await admin.send("telegram:401")
    await admin.press("administrator")
    await second.send("/roles")
    assert second.last.title == "Roles"
    await admin.press("Revoke a role")
    await admin.press("telegram:401 – administrator")
    await second.send("1")  # still at the Roles prompt, but no longer an admin
    assert second.replies[0].text == "That part is for staff only. Here is the main menu."
    assert second.last.title == "Main menu"


async def test_help_lists_what_each_role_can_use(chat: Callable[..., Chat]) -> None:
    admin = await onboarded(chat, "telegram:1")
    await admin.send("help")
    assert "/roles – Grant and revoke roles" in admin.text
    assert "cancel – stop what you are doing" in admin.text
    assert admin.last.title == "Main menu"  # help returns to where the user was


async def test_whoami_for_a_member_in_albanian(chat: Callable[..., Chat]) -> None:
    member = chat("telegram:402", hint="sq")
    await member.send("/start")
    await member.press("sq")
    await member.press("later")
    await member.send("/whoami")
    assert member.replies[0].text == "Çelësi juaj: telegram:402\nRoli juaj: anëtar"


def scoped(fake: FakeTelegram, method: str, chat_id: int) -> list[Call]:
    """Bot API calls of a method made for one chat's own command list."""
    return [
        c
        for c in fake.sent(method=method)
        if json.loads(c.params.get("scope", "{}")) == {"type": "chat", "chat_id": chat_id}
    ]


async def test_a_role_granted_or_revoked_redraws_that_persons_telegram_commands(
    db_path: Path, fake: FakeTelegram, twilio: FakeTwilio, catalogs: Catalogs
) -> None:
    settings = both_channels(db_path, fake.url, twilio.url, admins=frozenset({"telegram:1"}))
    async with running(settings) as (engine, _):
        italian = Chat(engine, "telegram:402", "it")
        await italian.send("/start")
        await italian.press("it")
        await italian.press("agree")
        await italian.press("skip")
        await onboarded(lambda key, hint: Chat(engine, key, hint), "whatsapp:+393331234599")
        admin = await onboarded(lambda key, hint: Chat(engine, key, hint), "telegram:1")
        await admin.press("Roles")
        for key in ("telegram:402", "whatsapp:+393331234599"):
            await admin.press("Grant a role")
            await admin.send(key)
            await admin.press("consular officer")
        await fake.wait_for(lambda: bool(scoped(fake, "setMyCommands", 402)))
        [call] = scoped(fake, "setMyCommands", 402)
        commands = {c["command"]: c["description"] for c in json.loads(call.params["commands"])}
        it = catalogs.translator("it").t
        assert commands["questions"] == it("Questions waiting for an officer")  # her language
        assert "roles" not in commands and "broadcast" not in commands

        await italian.send("STOP")  # no messages unasked; her command list is no message
        await admin.press("Revoke a role")
        await admin.press("telegram:402 – consular officer")
        await fake.wait_for(lambda: bool(scoped(fake, "deleteMyCommands", 402)))  # everyday list
        rows = await settled(engine)
    assert rows == [
        ("telegram:1", "sent", None),  # the admin's first choice of language
        ("telegram:402", "sent", None),
        ("telegram:402", "sent", None),
    ]  # none for the WhatsApp officer: WhatsApp shows no list of commands


async def test_a_staff_member_who_changes_language_gets_the_list_in_it(
    db_path: Path, fake: FakeTelegram, twilio: FakeTwilio, catalogs: Catalogs
) -> None:
    settings = both_channels(db_path, fake.url, twilio.url, admins=frozenset({"telegram:1"}))
    async with running(settings) as (engine, _):
        admin = await onboarded(lambda key, hint: Chat(engine, key, hint), "telegram:1")
        await admin.send("/language")
        await admin.press("el")
        await fake.wait_for(lambda: len(scoped(fake, "setMyCommands", 1)) >= 2)
    *_, call = scoped(fake, "setMyCommands", 1)
    commands = {c["command"]: c["description"] for c in json.loads(call.params["commands"])}
    assert commands["roles"] == catalogs.translator("el").t("Grant and revoke roles")


async def settled(engine: Engine, seconds: float = 10.0) -> list[tuple[str, str, str | None]]:
    """The command-list rows once none waits, by recipient."""
    deadline = time.monotonic() + seconds
    while True:
        rows = await engine.db.read_all(
            "SELECT recipient, status, reason FROM outbox WHERE renderer = 'command-menu'"
            " ORDER BY recipient, id"
        )
        if all(r[1] not in ("pending", "claimed") for r in rows):
            return [tuple(r) for r in rows]
        assert time.monotonic() < deadline, "command-list rows still waiting"
        await asyncio.sleep(0.02)


async def test_a_role_from_the_configuration_is_not_granted_again_in_the_chat(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    admin = await onboarded(chat, "telegram:1")  # ADMINS in the test settings
    await onboarded(chat, "telegram:2")  # in OFFICERS, and has written to the bot
    await admin.press("Roles")
    for key, role in (("telegram:1", "administrator"), ("telegram:2", "consular officer")):
        await admin.press("Grant a role")
        await admin.send(key)
        await admin.press(role)
        assert admin.replies[0].text == f"{key} already is {role} in the configuration."
    assert await engine.db.read_all("SELECT * FROM roles") == []  # nothing to revoke later
