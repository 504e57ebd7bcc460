"""Personal data by introspection: the columns that hold user keys, rows as plain data, and what
an erasure needs besides each table's own rules (detaching, scrubbing copies in others' rows)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from storage.database import Params, Tx

_NAME = re.compile(r"[a-z_][a-z0-9_]*")  # table and column names interpolated into SQL


def _name(name: str) -> str:
    """A table or column name checked before it is put into SQL text."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a plain name: {name!r}")
    return name


async def user_key_columns(tx: Tx) -> dict[str, frozenset[str]]:
    """Every table with columns referencing users(key), and those columns (PRAGMA
    foreign_key_list); `users` itself is listed with its key."""
    tables = await tx.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found: dict[str, frozenset[str]] = {"users": frozenset({"key"})}
    for row in tables:
        table = _name(row["name"])
        columns = frozenset(
            fk["from"]
            for fk in await tx.fetch_all(f"PRAGMA foreign_key_list({table})")
            if fk["table"] == "users"
        )
        if columns:
            found[table] = columns
    return found


async def records(tx: Tx, sql: str, params: Params = ()) -> list[dict[str, Any]]:
    """Rows as dicts (column → value), ready for JSON."""
    return [dict(row) for row in await tx.fetch_all(sql, params)]


async def rows_of(tx: Tx, table: str, column: str, key: str) -> list[dict[str, Any]]:
    """Every column of the rows whose `column` is the user's key."""
    return await records(
        tx, f"SELECT * FROM {_name(table)} WHERE {_name(column)} = ? ORDER BY rowid", (key,)
    )


async def count(tx: Tx, table: str, column: str, key: str) -> int:
    """How many rows name the user in a column."""
    return int(
        await tx.fetch_value(
            f"SELECT count(*) FROM {_name(table)} WHERE {_name(column)} = ?", (key,)
        )
    )


async def delete(tx: Tx, table: str, column: str, key: str) -> int:
    """Delete the rows whose `column` is the user's key."""
    return await tx.execute(f"DELETE FROM {_name(table)} WHERE {_name(column)} = ?", (key,))


async def detach(tx: Tx, table: str, column: str, key: str) -> int:
    """Keep the rows but forget that the user was the one (staff actions on others' records)."""
    column = _name(column)
    return await tx.execute(f"UPDATE {_name(table)} SET {column} = NULL WHERE {column} = ?", (key,))


def needles(values: Iterable[str | None], shortest: int = 6) -> list[str]:
    """Distinctive strings to look for in stored copies, as they appear inside JSON text
    (a message with a quote or a line break is stored escaped)."""
    found = []
    for value in values:
        if value and len(value) >= shortest:
            found.append(json.dumps(value, ensure_ascii=False)[1:-1])
    return sorted(set(found))


async def traces(tx: Tx, key: str) -> list[str]:
    """What identifies the user's data where staff saw it: the key (and a WhatsApp number), the
    references and check-in codes, the texts of questions and ideas, contacts, draft answers."""
    values: list[str | None] = [key]
    channel, _, ident = key.partition(":")
    if channel == "whatsapp":
        values.append(ident)
    values += [
        row[0]
        for row in await tx.fetch_all(
            "SELECT reference FROM questions WHERE user_key = :key"
            " UNION ALL SELECT m.body FROM question_messages m JOIN questions q"
            "  ON q.id = m.question_id WHERE q.user_key = :key AND m.side = 'member'"
            " UNION ALL SELECT reference FROM ideas WHERE user_key = :key"
            " UNION ALL SELECT title FROM ideas WHERE user_key = :key"
            " UNION ALL SELECT description FROM ideas WHERE user_key = :key"
            " UNION ALL SELECT contact FROM ideas WHERE user_key = :key"
            " UNION ALL SELECT substr(code, 1, 3) || '-' || substr(code, 4) FROM registrations"
            "  WHERE user_key = :key",
            {"key": key},
        )
    ]
    draft = await tx.fetch_value("SELECT fields FROM idea_drafts WHERE user_key = ?", (key,))
    if draft is not None:
        fields = json.loads(draft)
        values += [fields.get(name) for name in ("title", "description", "contact")]
    return needles(v if isinstance(v, str) else None for v in values)


async def scrub_copies(tx: Tx, key: str, found: list[str], staff: Iterable[str]) -> tuple[int, int]:
    """Copies of the user's data in staff members' rows (only staff are shown other people's
    data): the replies kept for de-duplication (an officer was shown the question) are emptied,
    and a conversation record that mentions it (an open view of it) is reset. Looks only at the
    staff's rows, through the index by user. Returns (replies emptied, records reset)."""
    keys = sorted(set(staff) - {key})
    if not found or not keys:
        return 0, 0
    who = ", ".join("?" for _ in keys)
    clause = " OR ".join("instr({column}, ?) > 0" for _ in found)
    replies = await tx.execute(
        "UPDATE processed_messages SET replies = '[]'"
        f" WHERE user_key IN ({who}) AND ({clause.format(column='replies')})",
        (*keys, *found),
    )
    states = await tx.execute(
        f"DELETE FROM conversations WHERE user_key IN ({who})"
        f" AND ({clause.format(column='state')})",
        (*keys, *found),
    )
    return replies, states


def as_json(value: Mapping[str, Any]) -> str:
    """A user's data as a JSON document people can read."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)
