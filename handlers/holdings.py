"""Every table that holds personal data, with how /mydata shows it and how /delete erases it.

A table with a column referencing users(key) must be listed here with exactly those columns: a
test compares this list with the schema (PRAGMA foreign_key_list), so a new feature cannot store
user keys without saying how a user sees and erases them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.turn import Turn
    from storage.database import Tx

# A table's rows about one user, JSON-safe: (a transaction or reader, the user key, the user's
# language for names such as an event's title).
Exporter = Callable[["Tx", str, str], Awaitable[list[dict[str, Any]]]]
# Those rows as lines the user reads, in their language and time zone (empty: nothing to say).
Describer = Callable[["Turn", Sequence[Mapping[str, Any]]], list[str]]
# Erase or detach the user's rows in this table, inside the turn's transaction.
Eraser = Callable[["Turn"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Holding:
    """A table with user keys: its columns that reference users(key), the heading of its section
    in /mydata (marked with N_), how its rows are exported, described and erased."""

    table: str
    columns: frozenset[str]
    title: str
    export: Exporter
    describe: Describer
    erase: Eraser
    order: int = 100  # /mydata shows them in this order; /delete erases in reverse (users last)


def counted(singular: str, plural: str) -> Describer:
    """A section that says only how many rows there are ({n}), in the user's language."""

    def describe(turn: Turn, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        return [turn.ngettext(singular, plural, len(rows))] if rows else []

    return describe


def holdings() -> list[Holding]:
    """Every holding, in the order /mydata shows them."""
    from handlers import personal_account, personal_records

    found = [*personal_account.HOLDINGS, *personal_records.HOLDINGS]
    tables = [h.table for h in found]
    if len(set(tables)) != len(tables):
        raise ValueError(f"a table is listed twice: {sorted(tables)}")
    return sorted(found, key=lambda h: (h.order, h.table))


async def mismatches(tx: Tx) -> list[str]:
    """Where this list and the schema disagree: a table whose user-key columns (found by
    PRAGMA foreign_key_list) are not exactly those of its holding, or a holding without a table."""
    from storage import personal

    schema = await personal.user_key_columns(tx)
    listed = {h.table: h.columns for h in holdings()}
    problems = [
        f"{table}: {sorted(columns)} reference users(key), listed: {sorted(listed.get(table, ()))}"
        for table, columns in sorted(schema.items())
        if listed.get(table) != columns
    ]
    problems += [
        f"{table}: listed, but it holds no user key" for table in listed if table not in schema
    ]
    return problems
