"""Child processes of the benchmarks (fake servers, load generators)."""

from __future__ import annotations

import asyncio
import contextlib
import sys

STOP_TIMEOUT = 30.0  # seconds for a child process to exit once told


async def finish(process: asyncio.subprocess.Process) -> None:
    """Let a child process exit (its stdin closed is the signal); kill it if it does not."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()


async def stdin_closed(seconds: float) -> None:
    """Wait (at most `seconds`) until the parent closes our stdin or writes a line to it."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader.readline(), seconds)
    finally:
        transport.close()
