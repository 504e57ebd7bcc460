"""Child processes of the benchmarks (fake servers, load generators)."""

from __future__ import annotations

import asyncio

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
