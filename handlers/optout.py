"""STOP and START: a user turns every proactive message off, or back on, in any language."""

from __future__ import annotations

from bot.flow import END, Flow, Next
from bot.i18n import N_
from bot.registry import Command, Feature, Word
from bot.turn import Turn

stop = Flow("optout", entry="stop")
start = Flow("optin", entry="start")

# The words are whole messages only (the engine's global words): "basta" in a sentence is not one.
STOP_WORD = N_("STOP")
START_WORD = N_("START")


@stop.ask("stop")
async def opt_out(turn: Turn) -> Next:
    """Stop everything we would send unasked, and say how to undo it."""
    if turn.user.opted_out_at is None:
        # The START before it says nothing any more: each state is kept with its own time only.
        await turn.update_user(opted_out_at=turn.now, opted_in_at=None)
    turn.reply(
        turn.t(
            "Done: we will send you nothing on our own any more (no announcements, reminders or"
            " later answers). You can still write to us at any time. To turn messages back on,"
            " send {start}.",
            start=turn.t(START_WORD),
        )
    )
    return END


@start.ask("start")
async def opt_in(turn: Turn) -> Next:
    """Turn proactive messages back on."""
    if turn.user.opted_out_at is not None:
        await turn.update_user(opted_out_at=None, opted_in_at=turn.now)
    turn.reply(
        turn.t("Messages from us are on again. To stop them, send {stop}.", stop=turn.t(STOP_WORD))
    )
    return END


FEATURE = Feature(
    flows=[stop, start],
    commands=[Command("stop", N_("Stop every message we send on our own"), "optout", call=True)],
    words=[
        Word(STOP_WORD, "optout", N_("stop every message we send on our own")),
        Word(START_WORD, "optin", N_("turn those messages back on")),
    ],
)
