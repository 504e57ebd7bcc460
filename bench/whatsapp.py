"""Signed WhatsApp webhooks per second and latency through uvicorn, beside a bare signed-TwiML app.

Two servers, each run by uvicorn on 127.0.0.1 in a process of its own: the production app
(bot.web.create_app, WhatsApp only, on a fresh SQLite file) and a baseline Starlette app whose one
route reads the form, checks Twilio's signature over the same PUBLIC_URL and answers a fixed TwiML
reply. The load comes from this process: many users at a time, each a new number running a short
conversation (first contact, English, "Not now" to the privacy notice, then /whoami, menu, help,
menu), one message after the other, every form signed beforehand so that the timed phases only send.
Each app gets a closed loop (every user sends its next message as soon as the answer arrives: the
maximum rate) and then an open loop at half of that rate (a message every 1/rate seconds, each the
next message of a free user; latency counted from the scheduled time). Rounds alternate so that both
see the same machine; the best of each is reported (highest maximum rate, lowest p99 at half rate).

    python bench/whatsapp.py [--users 200] [--rounds 2] [--seconds 5] [--half-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import math
import os
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

# Run as a script, this folder leads the path and bench/telegram.py would hide python-telegram-bot
# (which bot.web imports).
if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings, configure_logging
from bot.web import create_app
from bot.whatsapp import SIGNATURE_HEADER

ACCOUNT = "AC" + "0123456789abcdef" * 2
AUTH = "fedcba9876543210" * 2
SENDER = "whatsapp:+14155238886"
PUBLIC = "https://bench.example.org"
PATH = "/whatsapp"
NOWHERE = "http://127.0.0.1:9"  # Twilio's REST API for the real app: nothing may leave the machine
FIXED = "<Response><Message>ok</Message></Response>"
FORM_TYPE = "application/x-www-form-urlencoded"

# Each user's conversation: first contact (Italian number), English, "Not now" to the privacy
# notice (the main menu), then cheap turns. With what the real app's answer must contain.
SCRIPT = [
    ("ciao", "4. English"),
    ("4", "From now on I will write to you in English."),
    ("2", "*Main menu*"),
    ("/whoami", "Your key: whatsapp:+39333"),
    ("menu", "*Main menu*"),
    ("help", "*Help*"),
    ("menu", "*Main menu*"),
]
KINDS = ("baseline", "real")
NAMES = {"baseline": "baseline", "real": "real app"}

WARM_UP = 1.0  # seconds of untimed closed loop before the timed one (connections, caches)
WARM_UP_CONVERSATIONS = 500  # beyond one per user: enough for the warm-up at 3,000 requests/s
START_TIMEOUT = 60.0  # seconds for a server process to come up and answer
STOP_TIMEOUT = 15.0  # seconds for a server to stop once asked, before it is killed
REQUEST_TIMEOUT = 30.0  # seconds for one webhook's answer before the run is called broken
MAX_CONVERSATIONS = 40_000  # at most this many signed conversations per phase


# -- the server processes ------------------------------------------------------------------------


def baseline_app() -> Starlette:
    """One POST route: read the form, check the signature over PUBLIC_URL, answer fixed TwiML."""
    validator = RequestValidator(AUTH)

    async def whatsapp(request: Request) -> Response:
        """The fixed TwiML for a signed form, 403 otherwise."""
        form = await request.form()
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not validator.validate(f"{PUBLIC}{request.url.path}", form, signature):
            return PlainTextResponse("forbidden", status_code=403)
        return Response(FIXED, media_type="application/xml")

    return Starlette(routes=[Route(PATH, whatsapp, methods=["POST"])])


def server_settings(database: Path) -> Settings:
    """A WhatsApp-only deployment (no Telegram token), logging warnings only."""
    return Settings(
        database_path=database,
        log_level="WARNING",
        public_url=PUBLIC,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=AUTH,
        twilio_whatsapp_from=SENDER,
        twilio_api_base_url=NOWHERE,
    )


def serve(kind: str, database: Path) -> None:
    """Serve one app on a free port of 127.0.0.1 (printed first) until SIGTERM or stdin's end."""
    settings = server_settings(database)
    configure_logging(settings)
    app = create_app(settings) if kind == "real" else baseline_app()
    # A socket made for TCP: asyncio sets TCP_NODELAY only when the protocol says IPPROTO_TCP.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_config=None, proxy_headers=True, timeout_graceful_shutdown=5, backlog=4096
    )
    server = uvicorn.Server(config)

    def stop_when_orphaned() -> None:
        """Stop the server when the parent closes our stdin (or dies)."""
        sys.stdin.buffer.read()
        server.should_exit = True

    threading.Thread(target=stop_when_orphaned, daemon=True).start()
    print(sock.getsockname()[1], flush=True)
    server.run(sockets=[sock])


# -- the load: signed conversations, one connection per user -------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """One signed webhook, ready to post, and what the real app's answer must contain."""

    body: bytes
    headers: dict[str, str]
    expected: str


def conversation(user: int, validator: RequestValidator) -> list[Message]:
    """A new user's script as signed webhooks (its own number, a new MessageSid each)."""
    number = f"+39333{user:07d}"
    messages = []
    for step, (text, expected) in enumerate(SCRIPT):
        form = {
            "MessageSid": f"SM{user:016x}{step:016x}",
            "AccountSid": ACCOUNT,
            "From": f"whatsapp:{number}",
            "To": SENDER,
            "Body": text,
            "NumMedia": "0",
            "WaId": number.removeprefix("+"),
            "ProfileName": f"User {user}",
        }
        signature = validator.compute_signature(f"{PUBLIC}{PATH}", form)
        headers = {SIGNATURE_HEADER: signature, "Content-Type": FORM_TYPE}
        messages.append(Message(urlencode(form).encode(), headers, expected))
    return messages


class Pool:
    """Conversations of new users, signed before a phase and handed out in turn during it."""

    def __init__(self) -> None:
        self._validator = RequestValidator(AUTH)
        self._users = itertools.count(1)
        self._ready: deque[list[Message]] = deque()
        self.ran_out = False

    def fill(self, count: int) -> None:
        """Sign `count` more conversations (at most MAX_CONVERSATIONS at a time)."""
        self.ran_out = False
        for _ in range(min(count, MAX_CONVERSATIONS)):
            self._ready.append(conversation(next(self._users), self._validator))
        # Keep them out of the collector's scans: a full collection over tens of thousands of
        # signed messages stalled the load for 20-40 ms, which the open loop counted as latency.
        gc.collect()
        gc.freeze()

    def take(self) -> deque[Message] | None:
        """The next new user's conversation, or None when none is left."""
        if not self._ready:
            self.ran_out = True
            return None
        return deque(self._ready.popleft())


class User:
    """One of the users at a time: its own keep-alive connection and the rest of its script."""

    def __init__(self, client: httpx.AsyncClient, pool: Pool) -> None:
        self.client = client
        self.pool = pool
        self.left: deque[Message] = deque()

    def next(self) -> Message | None:
        """The next message of this user's conversation, or a new user's first; None when out."""
        if not self.left:
            self.left = self.pool.take() or deque()
        return self.left.popleft() if self.left else None

    async def send(self, message: Message) -> httpx.Response:
        """Post the webhook; anything but 200 with TwiML breaks the run."""
        response = await self.client.post(PATH, content=message.body, headers=message.headers)
        kind = response.headers.get("content-type", "")
        if response.status_code != 200 or not kind.startswith("application/xml"):
            raise RuntimeError(f"{response.status_code} {kind}: {response.text[:300]!r}")
        return response


@contextlib.asynccontextmanager
async def clients(url: str, count: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One client per user, each with one keep-alive connection (`count` connections in all)."""
    # Not one client with `count` connections: httpcore's pool scans every connection for every
    # request, which held this process to about 460 requests a second at 100 % CPU with 200 of
    # them, against about 1,300 with a pool per user.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    context = ssl.create_default_context()  # unused on http://; shared, not loaded per client
    async with contextlib.AsyncExitStack() as stack:
        made = [
            httpx.AsyncClient(
                base_url=url,
                limits=limits,
                timeout=REQUEST_TIMEOUT,
                verify=context,
                trust_env=False,
            )
            for _ in range(count)
        ]
        for client in made:
            await stack.enter_async_context(client)
        yield made


# -- the measurements ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """One phase: requests per second, latency, and the CPU each side used (cores)."""

    rate: float
    p50_ms: float
    p99_ms: float
    server_cpu: float
    load_cpu: float

    @property
    def server_ms(self) -> float:
        """Server CPU milliseconds per request."""
        return self.server_cpu / self.rate * 1000


Result = tuple[Measure, Measure]  # at the maximum rate, at half of it


def p99(measure: Measure) -> float:
    """The p99 latency, to pick the least disturbed run."""
    return measure.p99_ms


def cpu_seconds(pid: int) -> float:
    """CPU seconds a process has used, all its threads (Linux's /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return math.nan


class Meter:
    """CPU and wall clock from the start of a phase, for the server process and this one."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.server = cpu_seconds(pid)
        self.load = time.process_time()
        self.start = time.perf_counter()

    def measure(self, latencies: Sequence[float], rate: float) -> Measure:
        """The phase's numbers, with p50 and p99 of `latencies` (seconds) in milliseconds."""
        elapsed = time.perf_counter() - self.start
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return Measure(
            rate,
            statistics.median(ordered) * 1000,
            p99 * 1000,
            (cpu_seconds(self.pid) - self.server) / elapsed,
            (time.process_time() - self.load) / elapsed,
        )


async def closed_loop(users: Sequence[User], seconds: float, pid: int) -> Measure:
    """Every user sends its next message as soon as the answer arrives, until `seconds` pass."""
    latencies: list[float] = []

    async def converse(user: User, deadline: float) -> None:
        while time.perf_counter() < deadline and (message := user.next()) is not None:
            start = time.perf_counter()
            await user.send(message)
            latencies.append(time.perf_counter() - start)

    meter = Meter(pid)
    async with asyncio.TaskGroup() as group:
        for user in users:
            group.create_task(converse(user, meter.start + seconds))
    return meter.measure(latencies, len(latencies) / (time.perf_counter() - meter.start))


async def open_loop(users: Sequence[User], rate: float, count: int, pid: int) -> Measure:
    """`count` messages at a fixed rate, each the next message of a user with none in flight."""
    # Latency counts from when a message was due, not when it went out (no coordinated omission).
    free: asyncio.Queue[User] = asyncio.Queue()
    for user in users:
        free.put_nowait(user)
    latencies: list[float] = []

    async def fire(user: User, message: Message, due: float) -> None:
        await user.send(message)
        latencies.append(time.perf_counter() - due)
        free.put_nowait(user)

    meter = Meter(pid)
    last = meter.start
    async with asyncio.TaskGroup() as group:
        for i in range(count):
            due = meter.start + i / rate
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            user = await asyncio.wait_for(free.get(), REQUEST_TIMEOUT)
            message = user.next()
            if message is None:
                raise RuntimeError("out of signed conversations")
            last = time.perf_counter()
            group.create_task(fire(user, message, due))
    sent = (count - 1) / (last - meter.start) if count > 1 else rate
    return meter.measure(latencies, sent)


async def check(kind: str, user: User) -> None:
    """One conversation, untimed: every answer must be the TwiML expected of this app."""
    message = user.next()
    while message is not None:
        response = await user.send(message)
        texts = "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))
        if (message.expected not in texts) if kind == "real" else (response.text != FIXED):
            raise RuntimeError(f"{kind}: unexpected answer {texts!r}")
        message = user.next() if user.left else None


# -- the server processes, from the parent -------------------------------------------------------


@contextlib.asynccontextmanager
async def running(kind: str, folder: Path) -> AsyncIterator[tuple[str, int]]:
    """A server process answering on 127.0.0.1 (its URL and pid); always stopped at the end."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve",
        kind,
        "--db",
        str(folder / "bench.sqlite3"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)).strip()
        if not line.isdigit():
            raise RuntimeError(f"the {kind} server did not start (see its error above)")
        url = f"http://127.0.0.1:{int(line)}"
        await answering(kind, url, process)
        yield url, process.pid
    finally:
        await stop(process)


async def answering(kind: str, url: str, process: asyncio.subprocess.Process) -> None:
    """Wait until the server answers: /healthz 200 for the real app, any answer for the baseline."""
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=url, timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the {kind} server exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                response = await client.get("/healthz")
                if kind == "baseline" or response.status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"the {kind} server did not answer within {START_TIMEOUT:.0f} s")


async def stop(process: asyncio.subprocess.Process) -> None:
    """Ask the server to stop (stdin closed, SIGTERM); kill it if it lingers; wait for its exit."""
    if process.returncode is None:
        if process.stdin is not None:
            process.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()


async def run_app(kind: str, users_count: int, seconds: float, half: float) -> Result:
    """One round of one app on a fresh server: check, warm up, maximum rate, then half of it."""
    with tempfile.TemporaryDirectory() as folder:
        async with (
            running(kind, Path(folder)) as (url, pid),
            clients(url, users_count) as made,
        ):
            pool = Pool()
            users = [User(client, pool) for client in made]
            pool.fill(1)
            await check(kind, users[0])
            pool.fill(users_count + WARM_UP_CONVERSATIONS)
            warm = await closed_loop(users, WARM_UP, pid)
            pool.fill(math.ceil(3 * warm.rate * seconds / len(SCRIPT)) + users_count)
            full = await closed_loop(users, seconds, pid)
            if pool.ran_out:
                print(f"note: {kind} ran out of signed messages before {seconds:g} s", flush=True)
            rate = full.rate / 2
            count = max(2, round(rate * half))
            pool.fill(math.ceil(count / len(SCRIPT)) + users_count)
            try:
                return full, await open_loop(users, rate, count, pid)
            finally:
                gc.unfreeze()  # let this round's messages go


async def bench(users_count: int, rounds: int, seconds: float, half: float) -> None:
    """Alternate baseline and real rounds; report the best of each and the ratios."""
    results: dict[str, list[Result]] = {kind: [] for kind in KINDS}
    began = time.monotonic()
    for _ in range(rounds):
        for kind in KINDS:
            results[kind].append(await run_app(kind, users_count, seconds, half))
    # The best of each (the least disturbed by the machine): the round with the highest maximum
    # rate, and the half-rate run (each at half of its own round's maximum) with the lowest p99.
    best = {
        kind: (max((r[0] for r in runs), key=lambda m: m.rate), min((r[1] for r in runs), key=p99))
        for kind, runs in results.items()
    }
    print(
        f"{users_count} users at a time, each a new number sending"
        f" {', '.join(text for text, _ in SCRIPT)}"
    )
    print(
        f"{rounds} rounds, each app {seconds:g} s at its maximum rate, then {half:g} s at half"
        f" of it; {time.monotonic() - began:.0f} s in all"
    )
    print(f"{'':8} {' maximum rate (closed loop) ':-^58}   {' half rate (open loop) ':-^25}")
    print(
        f"{'':8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'server CPU':>11} {'load CPU':>9}"
        f" {'CPU ms/req':>11}   {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}"
    )
    for kind in KINDS:
        full, at_half = best[kind]
        print(
            f"{NAMES[kind]:8} {full.rate:7.0f} {full.p50_ms:7.1f} {full.p99_ms:7.1f}"
            f" {full.server_cpu:11.0%} {full.load_cpu:9.0%} {full.server_ms:11.2f}"
            f"   {at_half.rate:7.0f} {at_half.p50_ms:8.1f} {at_half.p99_ms:8.1f}"
        )
    print("server CPU: cores used by the server process (all its threads); load CPU: by this one;")
    print("CPU ms/req: server CPU per request; half-rate latency counts from when a send was due")
    base, real = best["baseline"], best["real"]
    print(f"throughput, real / baseline: {real[0].rate / base[0].rate:.2f} (aim: >= 0.5)")
    print(
        f"p99 at half rate, baseline / real: {base[1].p99_ms / real[1].p99_ms:.2f}"
        f" (the real app's p99 is {real[1].p99_ms / base[1].p99_ms:.1f} x the baseline's)"
    )
    print(
        f"server CPU per request, baseline / real: {base[0].server_ms / real[0].server_ms:.2f}"
        " (the throughput ratio if server CPU alone bounded both)"
    )
    if base[0].load_cpu >= 0.9:
        print(
            f"note: the load used {base[0].load_cpu:.0%} of a core at the baseline's maximum, so"
            " that rate is the load's\nlimit rather than the baseline's: the throughput ratio"
            " flatters the real app"
        )


def main() -> None:
    """Parse the arguments; serve one app (in a child process) or run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="users at a time")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0, help="of the maximum-rate loop")
    parser.add_argument("--half-seconds", type=float, default=10.0, help="of the half-rate loop")
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db)
    else:
        asyncio.run(bench(args.users, args.rounds, args.seconds, args.half_seconds))


if __name__ == "__main__":
    main()
