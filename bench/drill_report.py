"""What a drill measured and found, and the short table it prints."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench.drill_checks import Check, Crash
from bench.drill_web import Command

MEMORY_AIM = 1.2  # the last process's memory at the end over its memory after warm-up


@dataclass(frozen=True)
class Scale:
    """How big a drill is."""

    users: int = 2_000  # members doing flows
    concurrency: int = 64  # members at a time (Telegram's default webhook connections: 40)
    telegram: int = 16_000  # seeded announcement recipients on Telegram
    whatsapp: int = 4_000  # and on WhatsApp (inside the 24-hour window)
    seats: int = 60  # of the event the sign-ups compete for
    reminders: int = 2_000  # seeded reminders that fall due during the drill
    reminders_after: float = 20.0  # seconds after seeding that they fall due
    kills: int = 2
    warm_up: int = 3_000  # messages the last process answers before its memory is read


@dataclass
class Result:
    """What the drill measured and found."""

    scale: Scale
    seed: int
    seconds: float = 0.0
    crashes: list[Crash] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)  # seconds each process took to be healthy
    backup: Command = field(default_factory=Command)
    restore: Command = field(default_factory=Command)
    warm_rss: int = 0  # KiB, the last process after warm-up
    end_rss: int = 0  # KiB, the same process at the end
    warm_after: int = 0  # messages the last process had answered when warm_rss was read
    checks: list[Check] = field(default_factory=list)
    messages: int = 0
    announced: int = 0  # announcement messages the platforms received
    load_seconds: float = 0.0  # from the first member's message to the last one's answer
    drain_seconds: float = 0.0  # then until nothing was due in the outbox
    web_cpu: float = 0.0  # CPU seconds of the web processes, all of them
    load_cpu: float = 0.0  # CPU seconds of the drill's process (members and fake platforms)
    failures: Counter[str] = field(default_factory=Counter)  # deliveries without an answer

    @property
    def ok(self) -> bool:
        """Every invariant held."""
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def memory_ratio(self) -> float:
        """The last process's memory at the end over its memory after warm-up."""
        return self.end_rss / self.warm_rss if self.warm_rss else 0.0


def report(result: Result) -> None:
    """The figures, then each invariant with its own."""
    scale = result.scale
    busy = max(result.load_seconds + result.drain_seconds, 1e-9)
    failures = ", ".join(f"{kind} {n}" for kind, n in result.failures.most_common()) or "none"
    lines = [
        f"seed {result.seed}: {scale.users:,} members ({scale.concurrency} at a time), an"
        f" announcement to {scale.telegram + scale.whatsapp:,} seeded users and the members,"
        f" {scale.reminders:,} reminders, {scale.seats} seats; {result.seconds:.0f} s in all",
        f"{result.messages:,} inbound messages in {result.load_seconds:.0f} s, then"
        f" {result.drain_seconds:.0f} s until nothing was due; {result.announced:,} announcement"
        " messages received by the platforms",
        f"CPU: web processes {result.web_cpu:.0f} s ({result.web_cpu / busy:.0%} of a core),"
        f" members and fake platforms {result.load_cpu:.0f} s; each start healthy after"
        f" {', '.join(f'{s:.1f}' for s in result.starts)} s",
        f"deliveries without an answer, each delivered again: {failures}",
    ]
    for n, crash in enumerate(result.crashes, start=1):
        lines.append(
            f"kill {n}: {crash.members:.0%} of the members done, {crash.announced:,} announcement"
            f" messages out; {crash.unanswered} inbound messages in flight,"
            f" {len(crash.claimed)} outbox rows claimed"
        )
    lines += [
        f"backup: {result.backup.seconds:.1f} s, {result.backup.during:,} inbound messages"
        f" answered meanwhile; {result.backup.said}",
        f"memory of the last process: {result.warm_rss:,} KiB after {result.warm_after:,}"
        f" messages, {result.end_rss:,} KiB at the end: {result.memory_ratio:.3f}"
        f" (aim: at most {MEMORY_AIM}: {'met' if result.memory_ratio <= MEMORY_AIM else 'MISSED'})",
    ]
    width = max((len(check.name) for check in result.checks), default=0)
    for check in result.checks:
        lines.append(f"{'ok  ' if check.ok else 'FAIL'} {check.name:<{width}}  {check.figures}")
        lines += [f"       {detail}" for detail in (check.details if not check.ok else ())]
    lines.append("every invariant holds" if result.ok else "SOME INVARIANTS DO NOT HOLD")
    print("\n".join(lines))
