"""The console process: piped sessions, exit statuses, and a clean checkout speaking Greek."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from storage.database import Database

ROOT = Path(__file__).resolve().parent.parent


def run(
    *args: str, stdin: str = "", cwd: Path, env: dict[str, str] | None = None, root: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` as a user would, with the project importable."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ADMINS", "OFFICERS", "LOG_", "TELEGRAM_", "TWILIO_", "PUBLIC_URL"))
    }
    environment["PYTHONPATH"] = str(root)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
        check=False,
    )


def test_piped_session_prints_every_reply_and_exits_zero(tmp_path: Path) -> None:
    done = run("--db", str(tmp_path / "demo.sqlite3"), stdin="4\n2\n/whoami\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "1. ✓ Shqip\n2. Italiano\n3. Ελληνικά\n4. English" in out
    assert "From now on I will write to you in English." in out
    assert "*Main menu*" in out
    assert "Your key: console:you\nYour role: member" in out
    assert done.stderr == ""


def test_default_demo_database_and_quit(tmp_path: Path) -> None:
    done = run("console", "--user", "admin", stdin="1\n/quit\n4\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "demo.sqlite3").is_file()
    assert "Tani e tutje do t'ju shkruaj në shqip." in done.stdout
    assert "From now on I will write to you in English." not in done.stdout  # stopped at /quit


def test_console_admin_sees_the_admin_menu(tmp_path: Path) -> None:
    done = run("--user", "admin", stdin="4\n2\n", cwd=tmp_path)
    assert "Roles" in done.stdout
    plain = run("--user", "ana", stdin="4\n2\n", cwd=tmp_path)
    assert "*Main menu*" in plain.stdout and "Roles" not in plain.stdout


def test_folder_that_cannot_be_created_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    done = run("--db", str(tmp_path / "file" / "bot.sqlite3"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"database error: {tmp_path / 'file' / 'bot.sqlite3'}: ")


def test_not_a_database_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(os.urandom(8192))
    done = run("--db", str(path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"database error: {path}: not a SQLite database\n"


async def test_a_database_in_use_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    try:
        done = run("--db", str(path), cwd=tmp_path)
    finally:
        await db.close()
    assert done.returncode == 2
    assert done.stderr == f"database error: {path}: in use by another running process\n"


def test_bad_configuration_exits_2_naming_the_variable(tmp_path: Path) -> None:
    done = run(cwd=tmp_path, env={"ADMINS": "telegram:1,bob"})
    assert done.returncode == 2
    assert done.stderr == "configuration error: ADMINS: not a user key (<channel>:<id>): bob\n"
    (tmp_path / ".env").write_text("DEFAULT_LOCALE=fr\n")
    done = run(cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "configuration error: DEFAULT_LOCALE: must be one of sq, it, el, en\n"


def test_bad_user_name_exits_2(tmp_path: Path) -> None:
    done = run("--user", "no spaces please", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("--user:")


def test_clean_checkout_without_compiled_catalogs_speaks_greek(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    for folder in ("bot", "handlers", "storage", "locales"):
        shutil.copytree(
            ROOT / folder, checkout / folder, ignore=shutil.ignore_patterns("*.mo", "__pycache__")
        )
    assert not list(checkout.rglob("*.mo"))
    with (checkout / "locales/el/LC_MESSAGES/messages.po").open("rb") as handle:
        greek = str(read_po(handle)["From now on I will write to you in English."].string)
    assert greek and greek != "From now on I will write to you in English."
    done = run("--db", str(tmp_path / "x.sqlite3"), stdin="3\n", cwd=checkout, root=checkout)
    assert done.returncode == 0, done.stderr
    assert greek in done.stdout
    assert not list(checkout.rglob("*.mo"))  # nothing was compiled to disk either


def test_an_install_without_its_locales_refuses_to_start(tmp_path: Path) -> None:
    """As a wheel installed outside the source folder would be: no catalogs, no FAQ."""
    installed = tmp_path / "site-packages"
    for folder in ("bot", "handlers", "storage"):
        shutil.copytree(ROOT / folder, installed / folder, ignore=shutil.ignore_patterns("*.pyc"))
    done = run("--db", str(tmp_path / "x.sqlite3"), stdin="3\n", cwd=tmp_path, root=installed)
    assert done.returncode == 2
    assert done.stderr.startswith("installation error: ")
    assert "messages.po: no such catalog" in done.stderr and "pip install -e" in done.stderr
    assert not (tmp_path / "x.sqlite3").exists()  # refused before anything was created
    (installed / "locales").mkdir()
    for locale in ("sq", "it", "el", "en"):  # the catalogs, but still no FAQ
        shutil.copytree(ROOT / "locales" / locale, installed / "locales" / locale)
    done = run("--db", str(tmp_path / "x.sqlite3"), stdin="3\n", cwd=tmp_path, root=installed)
    assert done.returncode == 2
    assert done.stderr.startswith("installation error: ") and "sq.json" in done.stderr


TOKEN = "123456789:AAE1bcdefghijklmnopqrstuvwxyz012345"


def test_process_configuration_errors_exit_2_naming_the_variable(tmp_path: Path) -> None:
    cases = [
        (("polling",), {}, "TELEGRAM_BOT_TOKEN: required for polling"),
        (("web",), {}, "TELEGRAM_BOT_TOKEN: web needs a channel: set it, or the TWILIO_ settings"),
        (
            ("web",),
            {"TELEGRAM_BOT_TOKEN": TOKEN},
            "PUBLIC_URL: required for web (the https address the platforms call)",
        ),
        (
            ("web",),
            {"TELEGRAM_BOT_TOKEN": TOKEN, "PUBLIC_URL": "bot.example.org"},
            "PUBLIC_URL: must be an absolute https URL",
        ),
        (("polling",), {"TELEGRAM_BOT_TOKEN": "123:short"}, "TELEGRAM_BOT_TOKEN: not a bot token"),
        (
            ("web",),
            {"TELEGRAM_API_BASE_URL": "ftp://x"},
            "TELEGRAM_API_BASE_URL: must be an absolute http or https URL",
        ),
    ]
    for args, env, message in cases:
        done = run(*args, cwd=tmp_path, env=env)
        assert (done.returncode, done.stderr) == (2, f"configuration error: {message}\n"), args


def test_the_console_shows_notices_from_the_outbox(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.sqlite3")
    assert run("--db", db, "--user", "ana", stdin="4\n2\n", cwd=tmp_path).returncode == 0
    admin = run(
        "--db", db, "--user", "admin", stdin="4\n2\n/roles\n1\nconsole:ana\n2\n", cwd=tmp_path
    )
    assert "Done: console:ana is now consular officer." in admin.stdout
    assert "🔔" not in admin.stdout  # the notice waits for ana's own console
    ana = run("--db", db, "--user", "ana", stdin="/whoami\n", cwd=tmp_path)
    assert "🔔\nYou are now consular officer in this service." in ana.stdout
    assert "Your role: consular officer" in ana.stdout
