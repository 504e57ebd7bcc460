"""diaspora-bot: one conversation core for Telegram, WhatsApp and the console."""

import os

# python-telegram-bot reports RetryAfter.retry_after as a timedelta only with this set; every
# process sets it so that code sees one type (PLATFORM.md).
os.environ.setdefault("PTB_TIMEDELTA", "1")
