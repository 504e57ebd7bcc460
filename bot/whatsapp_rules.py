"""WhatsApp's rules that flows and previews need, without Twilio's client: the 24-hour window
and the length of a message body."""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_BODY = 1600  # Twilio refuses longer WhatsApp bodies (error 21617)
WINDOW = timedelta(hours=24)
# last_inbound_at is kept to the minute: stay a little inside the window rather than risk 63016.
WINDOW_MARGIN = timedelta(minutes=5)


def within_window(last_inbound: datetime | None, now: datetime) -> bool:
    """Whether free-form messages may be sent (24 hours since the user's last message)."""
    return last_inbound is not None and now - last_inbound < WINDOW - WINDOW_MARGIN
