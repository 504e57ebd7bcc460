"""Skills profiles: what a member knows and how they would help (opt-in, one per member)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage import exports
from storage.clock import from_db, to_db
from storage.database import Row, Tx

WILLING = ("mentor", "volunteer", "invest")  # the ways of helping, each a column


@dataclass(frozen=True, slots=True)
class Skills:
    """A member's skills profile."""

    user_key: str
    profession: str
    sector: str
    years: int
    languages: tuple[str, ...]
    mentor: bool
    volunteer: bool
    invest: bool
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row | sqlite3.Row) -> Skills:
        """Build from a row of `skills_profiles`."""
        return cls(
            user_key=row["user_key"],
            profession=row["profession"],
            sector=row["sector"],
            years=int(row["years"]),
            languages=tuple(str(row["languages"]).split()),
            mentor=bool(row["mentor"]),
            volunteer=bool(row["volunteer"]),
            invest=bool(row["invest"]),
            updated_at=from_db(row["updated_at"]),
        )

    @property
    def willing(self) -> tuple[str, ...]:
        """The ways this member would help."""
        return tuple(way for way in WILLING if getattr(self, way))


_COLUMNS = "user_key, profession, sector, years, languages, mentor, volunteer, invest, updated_at"


async def get(tx: Tx, key: str) -> Skills | None:
    """A member's skills profile, if they made one."""
    row = await tx.fetch_one(f"SELECT {_COLUMNS} FROM skills_profiles WHERE user_key = ?", (key,))
    return None if row is None else Skills.from_row(row)


async def save(
    tx: Tx,
    key: str,
    *,
    profession: str,
    sector: str,
    years: int,
    languages: tuple[str, ...] | list[str],
    willing: tuple[str, ...] | list[str],
    now: datetime,
) -> None:
    """Create or replace a member's skills profile."""
    unknown = set(willing) - set(WILLING)
    if unknown:
        raise ValueError(f"unknown ways of helping: {sorted(unknown)}")
    stamp = to_db(now)
    await tx.execute(
        "INSERT INTO skills_profiles (user_key, profession, sector, years, languages, mentor,"
        " volunteer, invest, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_key) DO UPDATE SET profession = excluded.profession,"
        " sector = excluded.sector, years = excluded.years, languages = excluded.languages,"
        " mentor = excluded.mentor, volunteer = excluded.volunteer, invest = excluded.invest,"
        " updated_at = excluded.updated_at",
        (
            key,
            profession,
            sector,
            years,
            " ".join(languages),
            *(int(way in willing) for way in WILLING),
            stamp,
            stamp,
        ),
    )


async def delete(tx: Tx, key: str) -> bool:
    """Erase a member's skills profile; False when there was none."""
    return await tx.execute("DELETE FROM skills_profiles WHERE user_key = ?", (key,)) == 1


async def exists(tx: Tx, key: str) -> bool:
    """Whether a member has a skills profile."""
    found = await tx.fetch_value("SELECT 1 FROM skills_profiles WHERE user_key = ?", (key,))
    return found is not None


def export(path: str) -> list[sqlite3.Row]:
    """Every skills profile with the member's country and language, oldest first (a thread's
    read-only connection: see storage/exports.py)."""
    return exports.read(
        path,
        "SELECT s.user_key, s.profession, s.sector, s.years, s.languages, s.mentor, s.volunteer,"
        " s.invest, s.updated_at, u.country, u.locale"
        " FROM skills_profiles s JOIN users u ON u.key = s.user_key ORDER BY s.created_at",
    )
