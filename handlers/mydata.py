"""/mydata: everything stored about the user, readable in their language, and the same as a JSON
file on Telegram and the console (WhatsApp carries no files here: the text is all of it)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from bot.config import Settings
from bot.flow import END, Answer, Flow, Next
from bot.i18n import N_
from bot.messages import Attachment, AttachmentSpec, Button
from bot.registry import Command, Feature
from bot.turn import Turn
from handlers.holdings import holdings
from handlers.roles import role_name
from storage import personal
from storage.clock import to_db
from storage.database import Tx

flow = Flow("mydata", entry="show")

EXPORT = "mydata.json"  # the attachment renderer's name


async def collect(tx: Tx, key: str, locale: str) -> dict[str, list[dict[str, Any]]]:
    """Every holding's rows about the user, by table."""
    return {h.table: await h.export(tx, key, locale) for h in holdings()}


def document(
    key: str, stamp: str, version: str, configured: list[str], tables: Mapping[str, Any]
) -> dict[str, Any]:
    """The export as one JSON document: who, when, and each table's rows."""
    return {
        "key": key,
        "exported_at": stamp,
        "privacy_notice_version": version,
        "roles_from_configuration": configured,
        "tables": dict(tables),
    }


async def export(tx: Tx, settings: Settings, key: str, locale: str, stamp: str) -> dict[str, Any]:
    """The whole export for a key (the file, and `python -m bot export`)."""
    tables = await collect(tx, key, locale)
    configured = sorted(settings.static_roles(key))
    return document(key, stamp, settings.privacy_notice_version, configured, tables)


@flow.ask("show")
async def show(turn: Turn) -> None:
    """Each kind of data in a message of its own, then the file, then what can be done next."""
    tables = await collect(turn.db, turn.key, turn.locale)
    turn.reply(
        turn.t(
            "This is everything we store about you, as it is stored now. Nothing else about you"
            " is kept."
        ),
        title=turn.t("Your data"),
    )
    configured = sorted(turn.settings.static_roles(turn.key))
    if configured:
        names = ", ".join(role_name(turn, role) for role in configured)
        turn.reply(
            turn.t(
                "Your role from the service's configuration (not stored here): {roles}",
                roles=names,
            ),
            title=turn.t("Roles"),
        )
    for holding in holdings():
        lines = holding.describe(turn, tables[holding.table])
        if lines:
            turn.reply("\n".join(lines), title=turn.t(holding.title))
    if turn.channel == "whatsapp":
        file_note = turn.t(
            "WhatsApp does not let us send you a file here: the messages above are all of it."
            " On Telegram, /mydata also sends it as a file."
        )
        attachment = None
    else:
        file_note = turn.t("The same data as a file (JSON), for you to keep or pass on:")
        stamp = to_db(turn.now)
        attachment = AttachmentSpec(
            EXPORT,
            {
                "key": turn.key,
                "locale": turn.locale,
                "stamp": stamp,
                "version": turn.settings.privacy_notice_version,
                "roles": configured,
            },
        )
    turn.reply(file_note, attachment=attachment)
    turn.reply(
        turn.t("To erase all of it, choose Delete my data."),
        buttons=[
            Button(turn.t("Delete my data"), "delete", route=True),
            Button(turn.t("Main menu"), "menu", route=True),
        ],
    )


@flow.answer("show")
async def take_show(turn: Turn, answer: Answer) -> Next:
    """Only route buttons here: anything else goes back to where the user came from."""
    return END


def file_name(stamp: str) -> str:
    """The export's file name, with the day it was made."""
    return f"my-data-{stamp[:10]}.json"


async def render_export(tx: Tx, args: Mapping[str, Any]) -> Attachment:
    """The JSON file, read after the commit on the read-only connection."""
    key, locale, stamp = str(args["key"]), str(args["locale"]), str(args["stamp"])
    tables = await collect(tx, key, locale)
    data = document(key, stamp, str(args["version"]), list(args["roles"]), tables)
    encoded = await asyncio.to_thread(lambda: personal.as_json(data).encode())  # off the loop
    return Attachment(file_name(stamp), "application/json", encoded)


FEATURE = Feature(
    flows=[flow],
    commands=[Command("mydata", N_("See everything we store about you"), "mydata", call=True)],
    db_attachments={EXPORT: render_export},
)
