"""The operations drill: the real web process under mixed load, killed twice, backed up meanwhile.

`python -m bot web` runs as a process of its own on 127.0.0.1 against the tests' fake Telegram Bot
API and fake Twilio REST endpoint, served by this process with the paces raised so that they bound
nothing. This process is also the load: members on Telegram (webhook updates) and WhatsApp (signed
webhooks) doing real flows, one message at a time each (first contact, sign-ups for a small event,
FAQ questions, project ideas, questions that two officers answer), while an admin sends an
announcement through the chat to a seeded crowd and seeded reminders fall due. A message that gets
no 200 is delivered again with the same id, as Telegram and Twilio do. At random moments of the
traffic the web process gets SIGKILL and is started again, and `python -m bot backup` copies the
live database. Then the drill checks that every inbound message was processed once; that every
announcement, reminder and officer's answer reached its recipient once, except rows a killed
process had claimed (counted); that no seat is over capacity; that the backup restores and passes
integrity_check; and compares the last process's memory at the end with its own after warm-up.

    python -m bench.drill [--users 2000] [--crowd 20000] [--kills 2] [--seed N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx

from bench.drill_checks import Check, Crash, Evidence, verify
from bench.drill_load import PUBLIC_URL, WEBHOOK_SECRET
from bench.drill_platforms import Platforms, platforms
from bench.drill_report import Result, Scale, report
from bench.drill_seed import seed
from bench.drill_traffic import ADMIN_CHAT, OFFICER_CHAT, OFFICER_NUMBER, Traffic
from bench.drill_web import Command, WebProcess, command
from storage import backups
from storage.clock import utcnow
from storage.database import Database, StorageError
from tests.stack import ACCOUNT, AUTH, SENDER, TOKEN

BATCH = 50  # OUTBOX_BATCH: the rows one channel claims at once, what a kill can leave uncertain
CHANNELS = 2  # Telegram's and WhatsApp's loops each hold a batch of their own
PACE = "5000"  # messages a second: far above what this machine sends, so no pace bounds the drill
WAIT = 900.0  # seconds the drill waits for any one moment before it calls the run broken
DRAIN_TIMEOUT = 300.0  # seconds for the outbox to empty after the last member's answer
RECOVERED = re.compile(r"(\d+) outbox rows were claimed when the last process stopped")

# The short drill of the test suite: one kill, a few hundred messages, a small announcement.
SHORT = Scale(
    users=36,
    concurrency=12,
    telegram=600,
    whatsapp=200,
    seats=5,
    reminders=50,
    reminders_after=4.0,
    kills=1,
    warm_up=60,
)


def web_settings(folder: Path, fakes: Platforms) -> dict[str, str]:
    """The web process's environment: both channels on the fakes, paces raised, no flood limit."""
    return {
        "DATABASE_PATH": str(folder / "bot.sqlite3"),
        "PUBLIC_URL": PUBLIC_URL,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fakes.telegram_url,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": AUTH,
        "TWILIO_WHATSAPP_FROM": SENDER,
        "TWILIO_API_BASE_URL": fakes.twilio_url,
        "ADMINS": f"telegram:{ADMIN_CHAT}",
        "OFFICERS": f"telegram:{OFFICER_CHAT},whatsapp:{OFFICER_NUMBER}",
        "TELEGRAM_PACE": PACE,
        "TELEGRAM_CHAT_PACE": PACE,
        "WHATSAPP_PACE": PACE,
        "OUTBOX_BATCH": str(BATCH),
        "FLOOD_MESSAGES": "100000",
        "EVENT_REMINDERS": "2h",
        "LOG_LEVEL": "WARNING",
    }


async def until(check: Callable[[], bool], what: str, seconds: float = WAIT) -> None:
    """Wait for a condition of this process's own state (the members, the fakes)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {seconds:.0f} s")
        await asyncio.sleep(0.05)


def moments(scale: Scale, rng: random.Random) -> list[tuple[float, str]]:
    """When to kill and when to back up, as shares of the members done: each kill at random in
    its own part of the first 70 % (the last process keeps traffic to warm up on), the backup
    anywhere in the middle, whatever it overlaps."""
    share = 0.6 / max(1, scale.kills)
    found = [
        (rng.uniform(0.1 + n * share, 0.1 + (n + 1) * share), "kill") for n in range(scale.kills)
    ]
    return sorted([*found, (rng.uniform(0.15, 0.65), "backup")])


def claimed_rows(database: Path) -> dict[int, str]:
    """The rows a killed process had claimed and not finished (read while no process runs)."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        found = conn.execute("SELECT id, renderer FROM outbox WHERE status = 'claimed'")
        return {int(row_id): str(renderer) for row_id, renderer in found}


async def crash(web: WebProcess, fakes: Platforms, traffic: Traffic) -> Crash:
    """SIGKILL the web process, note what it left claimed, start it again."""
    unanswered = sum(1 for m in traffic.ledger.messages.values() if not m.answered_at)
    members, announced = traffic.finished / traffic.users, fakes.announced
    await web.kill()
    claimed = await asyncio.to_thread(claimed_rows, Path(web.env["DATABASE_PATH"]))
    await web.start()
    return Crash(announced, claimed, unanswered, members)


async def drained(web: WebProcess, database: Path) -> None:
    """Wait until /healthz shows nothing due in either lane and the announcement is reported."""

    def reported() -> bool:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT count(*) FROM broadcasts WHERE reported_at IS NULL")
            return bool(row.fetchone()[0] == 0)

    deadline = time.monotonic() + DRAIN_TIMEOUT
    async with httpx.AsyncClient(base_url=web.url, timeout=10.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            lanes = (await client.get("/healthz")).json()["outbox"]
            idle = all(lane["due"] == 0 for lane in lanes.values())
            if idle and await asyncio.to_thread(reported):
                return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"the outbox did not drain in {DRAIN_TIMEOUT:.0f} s")


async def drive(
    scale: Scale, rng: random.Random, web: WebProcess, fakes: Platforms, traffic: Traffic
) -> Result:
    """The members' traffic with the kills and the backup at their moments, the last process's
    memory after warm-up, then the drain and its memory at the end."""
    result = Result(scale, 0)
    database = Path(web.env["DATABASE_PATH"])

    def answered() -> int:
        return traffic.ledger.answered

    def done(share: float) -> bool:
        return traffic.finished >= share * scale.users or load.done()

    load = asyncio.create_task(traffic.run())
    backup: asyncio.Task[Command] | None = None
    began, cpu = time.monotonic(), time.process_time()
    try:
        for at, what in moments(scale, rng):
            await until(partial(done, at), what)
            if what == "kill":
                result.crashes.append(await crash(web, fakes, traffic))
            else:
                target = database.with_name("backup.sqlite3")
                backup = asyncio.create_task(
                    command(["backup", str(target)], database, database.parent, answered)
                )
        base = answered()
        await until(lambda: answered() - base >= scale.warm_up or load.done(), "warm-up")
        result.warm_rss, result.warm_after = web.rss(), answered() - base
        await load
        result.load_seconds = time.monotonic() - began
        await drained(web, database)
        result.end_rss = web.rss()
        result.drain_seconds = time.monotonic() - began - result.load_seconds
    finally:
        if not load.done():
            load.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait([load])
        if backup is not None:
            result.backup = await backup
        await web.stop()
    result.load_cpu = time.process_time() - cpu
    return result


async def restored(folder: Path, backup: Path) -> Command:
    """Restore the backup into a new place, check it and open it as the bot would."""
    target = folder / "restored" / "bot.sqlite3"
    result = await command(["restore", str(backup)], target, folder)
    if result.code != 0:
        return result
    try:
        version = await asyncio.to_thread(backups.check, target)  # integrity_check, schema
        db = await Database.open(target)
        try:
            users = await db.read_one("SELECT count(*) FROM users")
            rows = await db.read_one("SELECT count(*) FROM outbox")
        finally:
            await db.close()
    except StorageError as exc:
        result.code, result.output = None, f"{result.output}\nthe restored database: {exc}"
        return result
    assert users is not None and rows is not None
    result.output += (
        f"\nintegrity_check ok, schema {version}: {users[0]:,} users, {rows[0]:,} outbox rows"
    )
    return result


def operations(result: Result) -> list[Check]:
    """What the kills left uncertain stays within the claimed batches; the backup restores."""
    bound = BATCH * CHANNELS
    claimed = [len(c.claimed) for c in result.crashes]
    recovered = [c.recovered for c in result.crashes]
    backup, restore = result.backup, result.restore
    return [
        Check(
            "each kill left at most the claimed batches uncertain",
            all(n <= bound for n in claimed) and claimed == recovered,
            f"claimed at each kill: {claimed} (at most {BATCH} per channel, {bound}); put back"
            f" in line by the next process: {recovered}",
        ),
        Check(
            "the backup restores and passes integrity_check",
            backup.code == 0 and restore.code == 0,
            f"backup {backup.seconds:.1f} s beside the load ({backup.during:,} messages answered"
            f" meanwhile); restored: {restore.said or 'not tried'}",
            [backup.output, restore.output],
        ),
    ]


async def run(scale: Scale, folder: Path, seed_value: int) -> Result:
    """The whole drill in a folder (its database, the web processes' logs, the backup)."""
    rng = random.Random(seed_value)
    marker = f"DRILL-{rng.getrandbits(32):08X}"  # in the announcement's text, to count it
    began = time.monotonic()
    seeded = await seed(
        folder / "bot.sqlite3",
        telegram=scale.telegram,
        whatsapp=scale.whatsapp,
        seats=scale.seats,
        reminders=scale.reminders,
        reminders_after=scale.reminders_after,
        now=utcnow(),
    )
    async with platforms(marker) as fakes:
        web = WebProcess(web_settings(folder, fakes), folder)
        await web.start()
        traffic = Traffic(
            web.url,
            fakes.telegram,
            users=scale.users,
            concurrency=scale.concurrency,
            event=seeded.signup_event,
            marker=marker,
        )
        result = await drive(scale, rng, web, fakes, traffic)
        for number, crashed in enumerate(result.crashes, start=2):
            said = RECOVERED.search(web.log(number).read_text(errors="replace"))
            crashed.recovered = int(said.group(1)) if said else 0
        db = await Database.open(folder / "bot.sqlite3")
        try:
            evidence = Evidence(
                fakes, traffic.ledger, traffic.roles, seeded, result.crashes, marker, scale.seats
            )
            result.checks = await verify(db, evidence)
        finally:
            await db.close()
    if result.backup.code == 0:
        result.restore = await restored(folder, folder / "backup.sqlite3")
    result.checks += operations(result)
    result.seed, result.starts, result.web_cpu = seed_value, web.start_seconds, web.cpu
    result.messages, result.announced = len(traffic.ledger.messages), fakes.announced
    result.failures = Counter(f for m in traffic.ledger.messages.values() for f in m.failures)
    result.seconds = time.monotonic() - began
    return result


def main() -> None:
    """Parse the arguments, run the drill in a temporary folder (or --keep's), print the table;
    exit status 1 when an invariant does not hold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Scale()
    crowd = default.telegram + default.whatsapp
    parser.add_argument("--users", type=int, default=default.users, help="members doing flows")
    parser.add_argument("--concurrency", type=int, default=default.concurrency)
    parser.add_argument(
        "--crowd", type=int, default=crowd, help="seeded users, a fifth on WhatsApp"
    )
    parser.add_argument("--reminders", type=int, default=default.reminders)
    parser.add_argument("--kills", type=int, default=default.kills)
    parser.add_argument("--seed", type=int, help="for the random moments (default: a new one)")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (logs, files)")
    args = parser.parse_args()
    scale = Scale(
        users=args.users,
        concurrency=args.concurrency,
        telegram=args.crowd - args.crowd // 5,
        whatsapp=args.crowd // 5,
        reminders=min(args.reminders, args.crowd),
        kills=args.kills,
    )
    seed_value = args.seed if args.seed is not None else random.randrange(1 << 30)
    if args.keep:
        if (args.keep / "bot.sqlite3").exists():
            parser.error(f"{args.keep} holds an earlier drill: give a new folder")
        args.keep.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(run(scale, args.keep, seed_value))
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = asyncio.run(run(scale, Path(folder), seed_value))
    report(result)
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
