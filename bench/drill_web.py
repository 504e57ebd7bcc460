"""The drill's real processes: `python -m bot web` (started, watched, killed, started again) and
the operator's commands beside it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0  # seconds for a process to come up and answer /healthz
STOP_TIMEOUT = 40.0  # seconds for a graceful stop (uvicorn waits up to 30 s for requests)
COMMAND_TIMEOUT = 300.0  # seconds for a backup or a restore
SETTINGS = (  # the prefixes of every variable the bot reads (README, Configuration)
    "DATABASE_PATH",
    "DEFAULT_LOCALE",
    "ADMINS",
    "OFFICERS",
    "PRIVACY_NOTICE",
    "LOG_LEVEL",
    "HOST",
    "PORT",
    "PUBLIC_URL",
    "TELEGRAM_",
    "TWILIO_",
    "WHATSAPP_",
    "BROADCAST_",
    "OUTBOX_",
    "FLOOD_",
    "QUESTION_",
    "EVENT_",
    "RETENTION_",
)


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on now (kept for every restart)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_environment() -> dict[str, str]:
    """This process's environment without any of the bot's settings (a developer's shell may
    hold real tokens: nothing may leave the machine)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS)}
    kept["PYTHONPATH"] = str(ROOT)
    return kept


def cpu_seconds(pid: int) -> float:
    """CPU seconds a process has used so far, all its threads (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """A process's resident set size (VmRSS) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


class WebProcess:
    """One `python -m bot web` at a time on a fixed port, its output in numbered log files."""

    def __init__(self, settings: Mapping[str, str], folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**clean_environment(), **settings, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.folder = folder
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.started_at = 0.0  # monotonic time the current process answered /healthz
        self.start_seconds: list[float] = []  # from exec to the first healthy /healthz
        self.cpu = 0.0  # CPU seconds of the processes that ended (read just before the end)

    @property
    def pid(self) -> int:
        """The running process's id."""
        assert self.process is not None
        return self.process.pid

    def log(self, number: int | None = None) -> Path:
        """The log file of a start (the current one by default)."""
        return self.folder / f"web-{number or self.starts}.log"

    async def start(self) -> None:
        """Start a process and wait until /healthz says it is up."""
        self.starts += 1
        began = time.monotonic()
        with self.log().open("wb") as output:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "web",
                env=self.env,
                cwd=self.folder,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=output,
            )
        await self._healthy()
        self.started_at = time.monotonic()
        self.start_seconds.append(self.started_at - began)

    async def _healthy(self) -> None:
        """Poll /healthz until it answers 200; a process that exits is an error with its log."""
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(base_url=self.url, timeout=5.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.returncode is not None:
                    raise RuntimeError(f"the web process exited: {self.tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise RuntimeError(f"the web process did not answer in {START_TIMEOUT:.0f} s")

    async def kill(self) -> None:
        """SIGKILL: no shutdown of any kind, as a crash or an OOM kill would do."""
        assert self.process is not None
        self.cpu += cpu_seconds(self.process.pid)
        self.process.send_signal(signal.SIGKILL)
        code = await self.process.wait()
        if code != -signal.SIGKILL:
            raise RuntimeError(f"the web process ended with {code} before the kill")

    async def stop(self) -> None:
        """SIGTERM and wait: uvicorn finishes what is in flight, the lifespan closes, and the
        signal is raised again (exit status -SIGTERM); anything else is an error."""
        if self.process is None or self.process.returncode is not None:
            return
        self.cpu += cpu_seconds(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise RuntimeError("the web process did not stop on SIGTERM") from None
        if code not in (0, -signal.SIGTERM):
            raise RuntimeError(f"the web process stopped with status {code}: {self.tail()}")

    def rss(self) -> int:
        """The running process's resident memory, KiB."""
        return rss_kib(self.pid)

    def tail(self, lines: int = 20) -> str:
        """The end of the current process's log."""
        text = self.log().read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class Command:
    """An operator's `python -m bot ...` command as it ran beside the bot."""

    code: int | None = None  # None: it did not finish in time
    seconds: float = 0.0
    output: str = ""
    during: int = 0  # inbound messages answered while it ran

    @property
    def said(self) -> str:
        """Its last line."""
        return self.output.splitlines()[-1] if self.output else ""


async def command(
    args: list[str], database: Path, folder: Path, answered: Callable[[], int] = lambda: 0
) -> Command:
    """`python -m bot ARGS` with DATABASE_PATH set, as an operator runs it; `answered` counts the
    inbound messages answered so far, to tell how many were answered while it ran."""
    env = {**clean_environment(), "DATABASE_PATH": str(database), "LOG_LEVEL": "WARNING"}
    began, before = time.monotonic(), answered()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=folder,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    result = Command()
    try:
        output, _ = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
        result.code, result.output = process.returncode, output.decode().strip()
    except TimeoutError:
        process.kill()
        await process.wait()
        result.output = f"did not finish in {COMMAND_TIMEOUT:.0f} s"
    result.seconds = time.monotonic() - began
    result.during = answered() - before
    return result
