"""The registrations of an event as CSV: headers in the admin's language, safe in spreadsheets."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import N_
from bot.messages import Attachment
from storage.clock import from_db
from storage.database import Tx

CSV = "events.csv"
HEADERS = (
    N_("Status"),
    N_("Place on the waitlist"),
    N_("Key"),
    N_("Seats"),
    N_("Guests"),
    N_("Check-in code"),
    N_("Registered at"),
    N_("Checked in at"),
    N_("Cancelled at"),
    N_("Language"),
    N_("Country"),
    N_("City"),
)
STATUSES = {
    "confirmed": N_("confirmed"),
    "waitlisted": N_("waitlisted"),
    "cancelled": N_("registration cancelled"),
}
# A spreadsheet reads a cell starting with these as a formula (or strips it): CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value: object) -> object:
    """A cell that no spreadsheet runs as a formula: such text gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def build(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> bytes:
    """CSV bytes (UTF-8 with a byte-order mark, which spreadsheets need to read the accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe(h) for h in headers])
    writer.writerows([[safe(cell) for cell in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def _when(value: str | None, zone: ZoneInfo) -> str:
    """A stored time as the event's local time, sortable as text."""
    return "" if value is None else from_db(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")


async def render_csv(db: Tx, args: Mapping[str, Any]) -> Attachment:
    """Read the registrations on the read-only connection after the commit; write the CSV in a
    thread."""
    event_id = int(args["event"])
    zone = ZoneInfo(str(args["zone"]))
    statuses: Mapping[str, str] = args["statuses"]
    languages: Mapping[str, str] = args.get("languages", {})  # absent in exports queued before
    found = await db.fetch_all(
        "SELECT r.*, u.locale, u.country, u.city FROM registrations r"
        " JOIN users u ON u.key = r.user_key WHERE r.event_id = ?"
        " ORDER BY CASE r.status WHEN 'confirmed' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, r.id",
        (event_id,),
    )
    rows = []
    place = 0
    for row in found:
        waiting = row["status"] == "waitlisted"
        place += waiting
        rows.append(
            [
                statuses.get(row["status"], row["status"]),
                place if waiting else "",
                row["user_key"],
                row["seats"],
                row["seats"] - 1,
                f"{row['code'][:3]}-{row['code'][3:]}",
                _when(row["created_at"], zone),
                _when(row["checked_in_at"], zone),
                _when(row["cancelled_at"], zone),
                languages.get(row["locale"], row["locale"]) if row["locale"] else "",
                row["country"] or "",
                row["city"] or "",
            ]
        )
    data = await asyncio.to_thread(build, rows, list(args["headers"]))
    return Attachment(f"registrations-event-{event_id}.csv", "text/csv", data)
