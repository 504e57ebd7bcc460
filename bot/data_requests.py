"""Requests made outside the chat (a letter, a consulate): `python -m bot export KEY` and
`python -m bot erase KEY` do what /mydata and /delete do, for a key the operator gives.

Both work beside the running bot: they leave its lock file alone, and SQLite orders the two
processes' transactions. Notices they queue (a waitlist promotion) go out through the running
bot's outbox worker, which looks at the table at least once a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.i18n import Catalogs, negotiate
from bot.messages import Incoming
from bot.registry import Registry
from bot.state import State
from bot.turn import Turn
from handlers import build_registry, erasure, mydata
from storage import personal, roles, users
from storage.clock import to_db, utcnow
from storage.database import Database, StorageError, Tx


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure found (rows naming the key, by table and column) and whether it erased."""

    counts: dict[str, int]
    erased: bool

    @property
    def total(self) -> int:
        """Rows naming the key, in every table."""
        return sum(self.counts.values())


def require(path: Path) -> None:
    """The bot's database must exist: a typo must not create an empty one."""
    if not path.is_file():
        raise StorageError(f"{path}: no such database")


async def _open(path: Path) -> Database:
    """The bot's database, beside the running bot (its lock file is left alone)."""
    return await Database.open(path, exclusive=False)


async def export(settings: Settings, path: Path, key: str) -> dict[str, Any]:
    """Everything stored about a key, as the JSON document /mydata attaches."""
    db = await _open(path)
    try:
        reader = db.reader()
        user = await users.get(reader, key)
        locale = negotiate(
            user.locale if user else None,
            user.locale_hint if user else None,
            settings.default_locale,
        )
        return await mydata.export(reader, settings, key, locale, to_db(utcnow()))
    finally:
        await db.close()


async def counts(tx: Tx, key: str) -> dict[str, int]:
    """Rows naming the key, per `table.column` that references users(key)."""
    found = {}
    for table, columns in sorted((await personal.user_key_columns(tx)).items()):
        for column in sorted(columns):
            number = await personal.count(tx, table, column, key)
            if number:
                found[f"{table}.{column}"] = number
    return found


async def erase(settings: Settings, path: Path, key: str, *, confirm: bool) -> Erased:
    """What would be erased; with `confirm`, erase it as /delete does (one transaction)."""
    db = await _open(path)
    try:
        registry = build_registry()
        catalogs = Catalogs()
        async with db.transaction() as tx:
            found = await counts(tx, key)
            user = await users.get(tx, key)
            if not confirm or user is None:
                return Erased(found, erased=False)
            turn = _turn(tx, settings, registry, catalogs, user)
            turn.roles |= await roles.of(tx, key)
            await erasure.erase(turn)
        return Erased(found, erased=True)
    finally:
        await db.close()


def _turn(
    tx: Tx, settings: Settings, registry: Registry, catalogs: Catalogs, user: users.User
) -> Turn:
    """A turn for the erased user, as if they had asked in the chat (nothing is replied)."""
    locale = negotiate(user.locale, user.locale_hint, settings.default_locale)
    menu = registry.main_menu
    return Turn(
        incoming=Incoming(user.key, kind="other"),
        user=user,
        roles=settings.static_roles(user.key),
        state=State(menu.name, menu.entry),
        db=tx,
        now=utcnow(),
        settings=settings,
        registry=registry,
        catalogs=catalogs,
        translator=catalogs.translator(locale),
    )
