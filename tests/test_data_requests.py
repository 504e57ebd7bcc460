"""Requests made outside the chat: `python -m bot export KEY` and `python -m bot erase KEY`, run
as the operator would, beside the running bot (its database open in this test process)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from storage import personal
from storage.database import Database
from tests.event_fixtures import add_event
from tests.harness import Chat
from tests.personal_fixtures import found_anywhere, idea, onboard
from tests.test_cli import run

KEY = "telegram:6501"
EMAIL = "dora.meta@example.org"


async def test_export_then_erase_a_key_from_the_command_line(
    chat: Callable[..., Chat], db: Database, db_path: Path, tmp_path: Path
) -> None:
    event = await add_event(db, capacity=1)
    member = await onboard(chat, KEY, country="IT")
    await member.press(f"event:{event}")
    await member.press("signup")
    await member.send("0")
    await idea(member, "A school garden in Berat", EMAIL)
    waiting = await onboard(chat, "telegram:6502")
    await waiting.press(f"event:{event}")
    await waiting.press("signup")
    await waiting.send("0")

    exported = run("export", KEY, "--db", str(db_path), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["key"] == KEY
    assert data["tables"]["users"][0]["city"] == "Milano"
    assert data["tables"]["ideas"][0]["contact"] == EMAIL
    assert data["tables"]["registrations"][0]["event_title"] == "Meeting in Milan"

    dry = run("erase", KEY, "--db", str(db_path), cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "users.key: 1" in dry.stdout and "ideas.user_key: 1" in dry.stdout
    assert f"nothing erased yet: run again with --yes to erase {KEY}" in dry.stdout
    assert await found_anywhere(db, (KEY, EMAIL))  # still there

    done = run("erase", KEY, "--db", str(db_path), "--yes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"erased {KEY}: " in done.stdout
    assert await found_anywhere(db, (KEY, EMAIL)) == []
    for table, columns in (await personal.user_key_columns(db.reader())).items():
        for column in columns:
            assert await personal.count(db.reader(), table, column, KEY) == 0
    promoted = await db.read_one(
        "SELECT r.status, o.renderer FROM registrations r JOIN outbox o"
        " ON o.recipient = r.user_key AND o.renderer = 'events.promoted'"
        " WHERE r.user_key = 'telegram:6502'"
    )
    assert promoted is not None and tuple(promoted) == ("confirmed", "events.promoted")

    again = run("erase", KEY, "--db", str(db_path), "--yes", cwd=tmp_path)
    assert again.stdout.strip() == f"nothing is stored about {KEY}"
    empty = run("export", KEY, "--db", str(db_path), cwd=tmp_path)
    assert json.loads(empty.stdout)["tables"]["users"] == []
    assert empty.stderr.strip() == f"nothing is stored about {KEY}"


def test_a_bad_key_or_a_missing_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = run("erase", "bob", "--db", str(tmp_path / "x.sqlite3"), cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith(
        "is not a user key (telegram:123, whatsapp:+39..., console:NAME)"
    )
    missing = run("export", "telegram:5", "--db", str(tmp_path / "none.sqlite3"), cwd=tmp_path)
    assert missing.returncode == 2
    assert (
        missing.stderr.strip() == f"database error: {tmp_path / 'none.sqlite3'}: no such database"
    )
    assert not (tmp_path / "none.sqlite3").exists()
