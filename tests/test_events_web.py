"""Events on WhatsApp through the real web app: `EVENT <id>` from a poster, the calendar link."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import icalendar
import pytest

from bot.config import Settings
from bot.web import create_app
from storage.database import Database
from tests.event_fixtures import add_event, local
from tests.fake_twilio import FakeTwilio
from tests.servers import serve
from tests.test_whatsapp import ACCOUNT, AUTH, PUBLIC, SENDER, Phone


@pytest.fixture
def settings(db_path: Path, twilio: FakeTwilio) -> Settings:
    """A WhatsApp deployment."""
    return Settings(
        flood_messages=10_000,  # tests send fast; flood control has its own tests
        database_path=db_path,
        public_url=PUBLIC,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=AUTH,
        twilio_whatsapp_from=SENDER,
        twilio_api_base_url=twilio.url,
    )


async def test_event_typed_from_a_poster_then_sign_up_and_the_calendar_link(
    settings: Settings,
) -> None:
    db = await Database.open(settings.database_path)
    try:
        event = await add_event(db, start=local("2030-03-31 18:30", "Europe/Rome"))
    finally:
        await db.close()
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        phone = Phone(client, "+14155550123")
        await phone.send(f"EVENT {event}")  # what the wa.me link pre-fills
        assert "4. ✓ English" in phone.text
        await phone.send("4")
        await phone.send("1")  # I agree
        await phone.send("10")  # skip the profile
        assert phone.messages[-1].startswith("*Meeting in Milan*")
        assert "1. Sign up" in phone.messages[-1]
        await phone.send("1")
        assert phone.messages[-1].startswith("How many guests will you bring?")
        await phone.send("0")  # a number of guests, not "back"
        assert phone.messages[0].startswith("You are signed up for Meeting in Milan.")
        [link] = re.findall(r"https://\S+\.ics", phone.text)
        assert link.startswith(f"{PUBLIC}/calendar/")
        assert re.fullmatch(r"[0-9a-f]{32}\.ics", link.rsplit("/", 1)[1])  # 128 random bits
        path = link.removeprefix(PUBLIC)
        got = await client.get(path)
        assert got.status_code == 200
        assert got.headers["content-type"].startswith("text/calendar")
        assert got.headers["content-disposition"] == f'attachment; filename="event-{event}.ics"'
        [parsed] = icalendar.Calendar.from_ical(got.content).events
        # 31 March 2030: Italy is on summer time (UTC+2) since that morning.
        assert isinstance(parsed.start, datetime)
        assert parsed.start.astimezone(UTC) == datetime(2030, 3, 31, 16, 30, tzinfo=UTC)
        assert (await client.get("/calendar/not-a-real-token.ics")).status_code == 404
        assert (await client.get(path.replace(".ics", "x.ics"))).status_code == 404

        await phone.send(f"event {event}")  # from anywhere: the card, with the registration
        assert "You are signed up. Your check-in code:" in phone.messages[-1]
        await phone.send("/registrations")
        await phone.send("1")  # the registration
        assert "Check-in code as a QR image" not in phone.text  # no images on WhatsApp here
        await phone.send("2")  # cancel it
        await phone.send("1")  # yes
        assert phone.messages[0] == "Your registration for Meeting in Milan is cancelled."
        assert (await client.get(path)).status_code == 404  # a cancelled registration's link
