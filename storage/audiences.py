"""The SQL behind announcement audiences: each selects user keys, and they combine with AND."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.database import Tx

Query = tuple[str, tuple[Any, ...]]


def reachable() -> Query:
    """Everyone with announcements on whom we may still write to (no STOP, not unreachable)."""
    return (
        "SELECT key FROM users WHERE announcements = 1"
        " AND opted_out_at IS NULL AND unreachable_at IS NULL",
        (),
    )


def in_country(code: str) -> Query:
    """Users whose country of residence is this ISO code."""
    return "SELECT key FROM users WHERE country = ?", (code,)


def language_sql(locales: Sequence[str]) -> str:
    """The language a user reads, as `bot.i18n.negotiate` decides it: the stored choice, then
    the first part of the platform's hint, then the default (the last `?` of the expression)."""
    known = ", ".join(f"'{locale}'" for locale in locales)  # our own constants, never input
    hint = "replace(locale_hint, '-', '_')"
    first = f"lower(substr({hint}, 1, instr({hint} || '_', '_') - 1))"
    return (
        f"CASE WHEN locale IN ({known}) THEN locale"
        f" WHEN {first} IN ({known}) THEN {first} ELSE ? END"
    )


def in_language(locale: str, locales: Sequence[str], default: str) -> Query:
    """Users who read this language (chosen, or from the platform's hint, or by default)."""
    return f"SELECT key FROM users WHERE {language_sql(locales)} = ?", (default, locale)


async def count(tx: Tx, audience: Query) -> int:
    """How many users an audience selects now."""
    sql, params = audience
    return int(await tx.fetch_value(f"SELECT count(*) FROM ({sql})", params))


async def countries(tx: Tx, limit: int) -> list[tuple[str, int]]:
    """Countries of residence of users with announcements on, the most common first."""
    sql, params = reachable()
    rows = await tx.fetch_all(
        "SELECT country, count(*) FROM users"
        f" WHERE country IS NOT NULL AND key IN ({sql})"
        " GROUP BY country ORDER BY count(*) DESC, country LIMIT ?",
        (*params, limit),
    )
    return [(str(r[0]), int(r[1])) for r in rows]
