"""The short operations drill: the real web process under mixed load, killed once, backed up."""

from __future__ import annotations

from pathlib import Path

from bench.drill import SHORT, run

INVARIANTS = {
    "every answer was what the member's script expected",
    "every inbound message recorded once",
    "every inbound message processed once",
    "what the flows wrote is there once",
    "every Telegram reply sent once",
    "announcement: each recipient served once",
    "reminders: each recipient served once",
    "officers' answers: each recipient served once",
    "outbox settled, sent rows match the platform",
    "no seat over capacity",
    "each kill left at most the claimed batches uncertain",
    "the backup restores and passes integrity_check",
}


async def test_a_killed_web_process_loses_and_repeats_nothing_but_its_claimed_batch(
    tmp_path: Path,
) -> None:
    result = await run(SHORT, tmp_path, seed_value=1)
    assert {check.name for check in result.checks} == INVARIANTS
    failed = {
        check.name: [check.figures, *check.details] for check in result.checks if not check.ok
    }
    assert not failed
    assert len(result.crashes) == 1 and len(result.starts) == 2  # killed once, started again
    assert result.messages >= 300
    assert sum(result.failures.values()) > 0  # the kill met messages in flight: redelivered
    assert result.backup.code == 0 and result.restore.code == 0
