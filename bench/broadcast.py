"""The outbox's sending rate, its pacing, and its memory, against the fake Telegram Bot API.

The fake Bot API of the tests (tests/fake_telegram.py, counting what it receives) runs in a child
process over real HTTP on 127.0.0.1, so that it never shares the measured event loop.

(a) Paces off (TELEGRAM_PACE=0, TELEGRAM_CHAT_PACE=0): messages per second through the outbox
    (rows fanned out to N users beforehand, untimed; timed from the worker's start until every
    row is marked, the worker and renderer as the bot runs them: the real flows plus a one-line
    renderer), beside a baseline that sends the same messages through the same python-telegram-bot
    client (`bot.send_message`, HTML, as the channel does) at the same concurrency
    (`OUTBOX_CONCURRENCY`) with no database. Rounds alternate; the best round of each counts.
(b) The Telegram pace at 30/s (and the default 1/s per chat): messages the fake received within a
    window from the worker's start, as a share of 30/s over it. Both processes stamp with
    CLOCK_MONOTONIC, which Linux shares between processes.
(c) Peak memory: for each size a fresh process opens a database holding that many users, fans a
    message out to all of them (`bot.outbox.fan_out` of the everyone audience) and sends them with
    paces off. Its peak RSS is the high-water mark VmHWM of /proc/self/status (not `ru_maxrss`,
    which after exec starts from the spawning process's peak): read once it has started
    (imports, catalogs, database and bot open), then reset to the RSS of the moment (5 to
    /proc/self/clear_refs) and read again at the end, so that "peak" is the fan-out's and the
    sending's, not start-up's. The users are created beforehand by this process (executemany,
    one transaction), so the measured process only fans out and sends.

    python bench/broadcast.py [--messages 5000] [--rounds 3] [--pace-seconds 60]
                              [--sizes 10000,100000] [--parts abc] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, this folder leads the path and bench/telegram.py would hide python-telegram-bot.
if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from telegram import Bot
from telegram.constants import ParseMode

from bench.children import finish, stdin_closed
from bot.broadcasts import BASE
from bot.config import Settings
from bot.engine import Engine
from bot.i18n import LOCALES
from bot.messages import Reply
from bot.outbox import Render, fan_out
from bot.registry import Feature, Registry
from bot.runtime import engine_for, telegram_application, worker_for
from bot.telegram import TelegramChannel, TelegramSender
from handlers import features
from storage.clock import to_db, utcnow
from storage.database import Database
from tests.fake_telegram import Call, FakeTelegram
from tests.servers import serve

TOKEN = "123456789:AAE1bcdefghijklmnopqrstuvwxyz012345"
FIRST_CHAT = 70000  # chat ids of the recipients: FIRST_CHAT + 1, + 2, ...
RENDERER = "bench.announce"
TEXT = (
    "Community meeting in Milan on Saturday at 18:00: the consulate answers questions about"
    " passports & civil status, and the ministry presents the Diaspora Summit <2026>."
)
TELEGRAM_LIMIT = 30.0  # Telegram's overall limit for a bot, messages a second
PACE = 30.0  # the pace of part (b)
MIN_RATE = 50.0  # messages a second below which a run is called broken (bounds every wait)
POLL = 0.02  # seconds between looks at the outbox table while waiting for it to drain
START_TIMEOUT = 60.0  # seconds for a child process to come up
FAKE_LIFETIME = 3600.0  # the fake server exits after this long even if never told
BASELINE, OUTBOX = "baseline (PTB alone)", "outbox"  # the two sides of part (a)
QUICK = {"messages": 1000, "rounds": 1, "pace_seconds": 10.0, "sizes": [1000, 10000]}


# -- the renderer: the real flows plus one message -----------------------------------------------


async def render_announcement(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """One fixed announcement, through the recipient's translator like a real renderer."""
    return [Reply(render.t(TEXT))]


def bench_registry() -> Registry:
    """The real features and a bench-only one with the renderer."""
    return Registry([*features(), Feature(renderers={RENDERER: render_announcement})], menu="menu")


def bench_settings(path: Path, url: str, pace: float = 0.0, chat_pace: float = 0.0) -> Settings:
    """Telegram against the fake; paces off unless given."""
    return Settings(
        database_path=path,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=url,
        default_locale="en",
        telegram_pace=pace,
        telegram_chat_pace=chat_pace,
    )


def chats(count: int) -> range:
    """The recipients' chat ids."""
    return range(FIRST_CHAT + 1, FIRST_CHAT + 1 + count)


async def create_users(path: Path, count: int) -> None:
    """`count` Telegram users in the four languages, in one transaction (a generator: the rows
    are never all in memory)."""
    stamp = to_db(utcnow())

    def rows() -> Iterator[tuple[str, str, str, str]]:
        for index, chat in enumerate(chats(count)):
            yield f"telegram:{chat}", LOCALES[index % len(LOCALES)], stamp, stamp

    db = await Database.open(path)
    try:
        async with db.transaction() as tx:
            await tx.execute_many(
                "INSERT INTO users (key, channel, locale, last_inbound_at, created_at)"
                " VALUES (?, 'telegram', ?, ?, ?)",
                rows(),
            )
    finally:
        await db.close()


@asynccontextmanager
async def outbox_stack(settings: Settings) -> AsyncIterator[tuple[Engine, Bot]]:
    """The engine on the settings' database and an initialised bot; both closed at the end."""
    async with engine_for(settings, bench_registry()) as engine:
        application = telegram_application(settings, polling=False)
        async with application:
            yield engine, application.bot


async def queue_everyone(db: Database, registry: Registry) -> None:
    """The announcement for everyone, as a broadcast fans it out."""
    await fan_out(db, registry.audience_query([(BASE, {})]), RENDERER, {}, batch="bench")


async def drained(db: Database, deadline: float) -> None:
    """Wait until no Telegram row is pending or claimed (bounded by `deadline`, monotonic)."""
    while True:
        # An existence check, not a count: it stays cheap on 100,000 rows.
        row = await db.read_one(
            "SELECT 1 FROM outbox WHERE channel = 'telegram'"
            " AND status IN ('pending', 'claimed') LIMIT 1"
        )
        if row is None:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("rows still waiting at the deadline")
        await asyncio.sleep(POLL)


async def sent_rows(db: Database) -> int:
    """Rows marked sent."""
    row = await db.read_one("SELECT count(*) FROM outbox WHERE status = 'sent'")
    return 0 if row is None else int(row[0])


def deadline_for(count: int) -> float:
    """When a run of `count` messages is called broken."""
    return time.monotonic() + count / MIN_RATE + 30.0


# -- the child process: the fake Bot API ----------------------------------------------------------


class CountingTelegram(FakeTelegram):
    """The fake Bot API keeping only when each message arrived (not the calls), with a method
    `benchStats` for the parent: messages received, those in a window, and this process's CPU."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []

    async def _record(self, call: Call) -> None:
        """Stamp a message's arrival (monotonic, at the call's start); keep nothing else."""
        if call.ok and call.method == "sendMessage":
            self.arrivals.append(call.at)

    async def _benchStats(self, params: dict[str, Any]) -> dict[str, Any]:
        """Messages received, those within [since, until), and this process's CPU seconds."""
        since = float(params.get("since") or 0.0)
        until = float(params.get("until") or math.inf)
        return {
            "messages": len(self.arrivals),
            "window": sum(1 for at in self.arrivals if since <= at < until),
            "cpu": time.process_time(),
        }


async def serve_fake() -> None:
    """Serve the fake Bot API and print its URL, until the parent closes our stdin."""
    fake = CountingTelegram()
    async with serve(fake.app, lifespan="off") as url:
        print(url, flush=True)
        await stdin_closed(FAKE_LIFETIME)


# -- the child process of part (c): fan out and send, measuring its own peak RSS ----------------


def status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (Linux), KiB: VmRSS is the RSS
    now, VmHWM its high-water mark. Not `ru_maxrss`: after exec it starts from the spawning
    process's peak (about 80 MB here), which would hide whatever this process adds below it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> bool:
    """Start the peak (VmHWM) afresh from the RSS now (Linux >= 4.0: 5 to clear_refs);
    False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def measure_memory(path: Path, url: str) -> None:
    """Fan out to every user of the database and send it all; print RSS figures and timings."""
    settings = bench_settings(path, url)
    async with outbox_stack(settings) as (engine, bot):
        users = await engine.db.read_one("SELECT count(*) FROM users")
        count = 0 if users is None else int(users[0])
        startup = status_kib("VmHWM")  # imports, catalogs, registry, database and bot opened
        reset = reset_peak()
        before = status_kib("VmRSS")
        start = time.monotonic()
        await queue_everyone(engine.db, engine.registry)
        fanned = time.monotonic()
        async with worker_for(engine, [TelegramSender(TelegramChannel(engine, bot))]):
            await drained(engine.db, deadline_for(count))
        done = time.monotonic()
        after = status_kib("VmRSS")
        sent = await sent_rows(engine.db)
    result = {
        "users": count,
        "sent": sent,
        "startup_peak_kib": startup,
        "reset": reset,
        "before_kib": before,
        "peak_kib": status_kib("VmHWM"),  # since the reset: fan-out, sending, closing
        "after_kib": after,
        "fan_out_s": fanned - start,
        "send_s": done - fanned,
    }
    print(json.dumps(result), flush=True)


# -- the parent process -------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """What the fake has received."""

    messages: int
    window: int
    cpu: float


@dataclass(frozen=True)
class Run:
    """One timed run of part (a)."""

    rate: float  # messages a second
    cpu_ms: float  # this process's CPU (all threads) per message, milliseconds
    fake_busy: float  # the fake server's CPU over the run's wall time (1.0: one core)


class Fake:
    """The fake Bot API child process, and its statistics over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = httpx.AsyncClient(timeout=30.0)

    async def stats(self, since: float | None = None, until: float | None = None) -> Stats:
        """Messages received in all and within [since, until), and the fake's CPU seconds."""
        answer = await self._client.post(
            f"{self.url}/bot{TOKEN}/benchStats", json={"since": since, "until": until}
        )
        answer.raise_for_status()
        found = answer.json()["result"]
        return Stats(int(found["messages"]), int(found["window"]), float(found["cpu"]))

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


@asynccontextmanager
async def fake_server() -> AsyncIterator[Fake]:
    """Start the fake in a child process; always stop it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve-fake",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        url = line.decode().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the fake server did not start: {url!r}")
        fake = Fake(url)
        try:
            yield fake
        finally:
            await fake.close()
    finally:
        await finish(process)


async def timed(fake: Fake, count: int, elapsed: float, cpu: float, before: Stats) -> Run:
    """Check that the fake got every message; the run's figures."""
    after = await fake.stats()
    if after.messages - before.messages != count:
        raise RuntimeError(f"the fake received {after.messages - before.messages} of {count}")
    return Run(count / elapsed, cpu / count * 1000, (after.cpu - before.cpu) / elapsed)


async def run_baseline(fake: Fake, folder: Path, count: int, concurrency: int) -> Run:
    """The same messages through the same client at the same concurrency, no database."""
    settings = bench_settings(folder / "unused.sqlite3", fake.url)
    application = telegram_application(settings, polling=False)
    text = html.escape(TEXT, quote=False)  # as TelegramChannel.send_reply makes the body
    async with application:
        bot = application.bot
        pending = iter(chats(count))

        async def send_in_turn() -> None:
            for chat in pending:
                await bot.send_message(
                    chat_id=chat, text=text, parse_mode=ParseMode.HTML, reply_markup=None
                )

        before = await fake.stats()
        cpu, start = time.process_time(), time.monotonic()
        await asyncio.wait_for(
            asyncio.gather(*(send_in_turn() for _ in range(concurrency))),
            deadline_for(count) - start,
        )
        elapsed, cpu = time.monotonic() - start, time.process_time() - cpu
    return await timed(fake, count, elapsed, cpu, before)


async def run_outbox(fake: Fake, folder: Path, count: int) -> Run:
    """Rows for `count` users queued beforehand; the worker sends them all, paces off."""
    path = folder / "outbox.sqlite3"
    await create_users(path, count)
    async with outbox_stack(bench_settings(path, fake.url)) as (engine, bot):
        await queue_everyone(engine.db, engine.registry)
        sender = TelegramSender(TelegramChannel(engine, bot))
        before = await fake.stats()
        cpu, start = time.process_time(), time.monotonic()
        async with worker_for(engine, [sender]):
            await drained(engine.db, deadline_for(count))
            elapsed, cpu = time.monotonic() - start, time.process_time() - cpu
        if await sent_rows(engine.db) != count:
            raise RuntimeError("not every row was marked sent")
    return await timed(fake, count, elapsed, cpu, before)


async def run_paced(fake: Fake, folder: Path, seconds: float) -> tuple[int, float]:
    """The pace at 30/s for `seconds`: messages received in that window from the worker's start,
    and their share of the pace (the queue holds more than can go out meanwhile)."""
    count = int(PACE * seconds * 1.2) + 100
    path = folder / "paced.sqlite3"
    await create_users(path, count)
    settings = bench_settings(path, fake.url, pace=PACE, chat_pace=Settings.telegram_chat_pace)
    async with outbox_stack(settings) as (engine, bot):
        await queue_everyone(engine.db, engine.registry)
        async with worker_for(engine, [TelegramSender(TelegramChannel(engine, bot))]):
            start = time.monotonic()
            await asyncio.sleep(seconds + 0.5)  # until what left in the window has arrived
            stats = await fake.stats(since=start, until=start + seconds)
    return stats.window, stats.window / (PACE * seconds)


async def run_memory(fake: Fake, folder: Path, size: int) -> dict[str, Any]:
    """A fresh process fans out to `size` users and sends it all; its peak RSS and timings."""
    path = folder / f"memory-{size}.sqlite3"
    await create_users(path, size)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--measure-memory",
        str(path),
        "--fake-url",
        fake.url,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), size / MIN_RATE + 120.0)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0 or not out.strip():
        raise RuntimeError(f"the memory process failed ({process.returncode}); see its error")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    if result["sent"] != size:
        raise RuntimeError(f"{result['sent']} of {size} rows sent")
    return result


def sizes(text: str) -> list[int]:
    """A comma-separated list of recipient counts."""
    return [int(part) for part in text.split(",") if part.strip()]


def print_rates(results: dict[str, list[Run]], messages: int, rounds: int) -> None:
    """Part (a): the best round of each side, the ratio, the rate against 10 x 30/s."""
    print(
        f"(a) paces off: {messages} messages per run, best of {rounds} rounds,"
        f" concurrency {Settings.outbox_concurrency}, outbox batch {Settings.outbox_batch}"
    )
    print(f"{'':22} {'msg/s':>7} {'our CPU ms/msg':>15} {'fake server CPU':>16}")
    best = {}
    for name, runs in results.items():
        run = max(runs, key=lambda r: r.rate)  # the best round: the least disturbed
        best[name] = run.rate
        print(f"{name:22} {run.rate:7.0f} {run.cpu_ms:15.2f} {run.fake_busy:15.0%}")
    ratio = best[OUTBOX] / best[BASELINE]
    print(f"ratio outbox / baseline: {ratio:.2f} (aim >= 0.70)")
    floor = 10 * TELEGRAM_LIMIT
    print(f"outbox / {floor:.0f} msg/s: {best[OUTBOX] / floor:.2f} (aim >= 1)")


def print_pace(received: int, share: float, seconds: float) -> None:
    """Part (b): the share of the pace achieved over the window."""
    print(
        f"(b) pace {PACE:.0f}/s, 1/s per chat: {received} messages in {seconds:.0f} s"
        f" from the worker's start = {received / seconds:.2f}/s, share {share:.3f}"
        " (aim >= 0.95)"
    )


def print_memory(memory: list[dict[str, Any]]) -> None:
    """Part (c): each size's RSS figures, and the peaks' difference."""
    print("(c) a fresh process per size: fan out to everyone, send it all, paces off")
    print(
        f"{'recipients':>10} {'start-up peak':>13} {'RSS before':>10} {'peak':>9}"
        f" {'RSS after':>9} {'fan-out s':>9} {'send s':>7} {'msg/s':>6}"
    )
    for found in memory:
        print(
            f"{found['users']:>10} {found['startup_peak_kib'] / 1024:10.1f} MB"
            f" {found['before_kib'] / 1024:7.1f} MB {found['peak_kib'] / 1024:6.1f} MB"
            f" {found['after_kib'] / 1024:6.1f} MB {found['fan_out_s']:9.1f}"
            f" {found['send_s']:7.1f} {found['users'] / found['send_s']:6.0f}"
        )
    if not all(found["reset"] for found in memory):
        print("(the peak could not be reset after start-up: it is the whole process's)")
    print(
        "RSS is VmRSS, peaks VmHWM (/proc/self/status); start-up peak: once the database and"
        " bot are open; peak: from RSS before (reset then) through the fan-out and the sending"
    )
    if len(memory) >= 2:
        small, large = memory[0], memory[-1]
        apart = (large["peak_kib"] - small["peak_kib"]) / 1024
        whole = (
            max(large["peak_kib"], large["startup_peak_kib"])
            - max(small["peak_kib"], small["startup_peak_kib"])
        ) / 1024
        print(
            f"peak {large['users']} - peak {small['users']}: {apart:.1f} MB"
            f" (whole process: {whole:.1f} MB; aim < 20)"
        )


async def main() -> None:
    """Parts (a), (b) and (c) against one fake server; print their tables and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="(a) messages per run")
    parser.add_argument("--rounds", type=int, default=3, help="(a) alternating rounds")
    parser.add_argument("--pace-seconds", type=float, default=60.0, help="(b) window at 30/s")
    parser.add_argument("--sizes", type=sizes, default=[10000, 100000], help="(c) recipients")
    parser.add_argument("--parts", default="abc", help="which parts to run (default abc)")
    parser.add_argument("--quick", action="store_true", help=f"a short run: {QUICK}")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure-memory", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--fake-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        await serve_fake()
        return
    if args.measure_memory:
        await measure_memory(args.measure_memory, args.fake_url)
        return
    if args.quick:
        vars(args).update(QUICK)
    began, load = time.monotonic(), os.getloadavg()[0]
    results: dict[str, list[Run]] = {BASELINE: [], OUTBOX: []}
    received, share = 0, 0.0
    with tempfile.TemporaryDirectory() as raw:
        folder = Path(raw)
        async with fake_server() as fake:
            for index in range(args.rounds if "a" in args.parts else 0):
                round_folder = folder / f"round{index}"
                round_folder.mkdir()
                results[BASELINE].append(
                    await run_baseline(
                        fake, round_folder, args.messages, Settings.outbox_concurrency
                    )
                )
                results[OUTBOX].append(await run_outbox(fake, round_folder, args.messages))
            if "b" in args.parts:
                received, share = await run_paced(fake, folder, args.pace_seconds)
            memory = [await run_memory(fake, folder, n) for n in args.sizes if "c" in args.parts]
    if "a" in args.parts:
        print_rates(results, args.messages, args.rounds)
        print()
    if "b" in args.parts:
        print_pace(received, share, args.pace_seconds)
        print()
    if "c" in args.parts:
        print_memory(memory)
        print()
    print(
        f"total {time.monotonic() - began:.0f} s; load average (1 min) {load:.2f} at the start,"
        f" {os.getloadavg()[0]:.2f} at the end, on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    asyncio.run(main())
