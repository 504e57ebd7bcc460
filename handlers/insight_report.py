"""What the statistics say, in the reader's language: a short text and a chart per section."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_timedelta

from bot.charts import MAX_BARS, Chart, Series
from bot.i18n import LOCALES, N_, Translator
from handlers.faq import LIBRARY
from handlers.idea_terms import COUNTIES, SECTORS, STATUSES
from handlers.places import country_name, zone_label
from storage import stats
from storage.database import Tx
from storage.stats import Counts

WEEKS = 8  # weeks of new users shown
LISTED = 5  # entries in the text's top lists
EVENTS = 6  # events in the text and the chart (the CSV has them all)
SEP = " · "

CHANNELS = {"telegram": "Telegram", "whatsapp": "WhatsApp", "console": N_("console")}
MESSAGE_STATUSES = {  # announcement messages, as the chart shows them
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "skipped": N_("Skipped"),
    "held": N_("Held"),
}


@dataclass(frozen=True, slots=True)
class Context:
    """Who reads the statistics and where: the language, the time zone, the moment."""

    i18n: Translator
    zone: str
    now: datetime
    default_locale: str

    def n(self, value: int) -> str:
        """A count as the reader writes numbers."""
        return self.i18n.number(value)


@dataclass(frozen=True, slots=True)
class Section:
    """A section's text and its chart (None when there is nothing to draw)."""

    title: str
    text: str
    chart: Chart | None


# -- names -----------------------------------------------------------------------------------------


def channel_name(c: Context, channel: str | None) -> str:
    """A channel's name (the console's translated)."""
    name = CHANNELS.get(channel or "", channel or "?")
    return c.i18n.t(name) if channel == "console" else name


def country(c: Context, code: str | None) -> str:
    """A country in the reader's language, or "not given"."""
    return country_name(code, c.i18n.locale) if code else c.i18n.t("not given")


def sector(c: Context, value: str | None) -> str:
    """An idea's sector."""
    return c.i18n.t(SECTORS.get(value or "", SECTORS["other"]))


def county(c: Context, value: str | None) -> str:
    """A county's Albanian name, or "nationwide"."""
    return COUNTIES.get(value or "") or c.i18n.t("Nationwide")


def idea_status(c: Context, value: str | None) -> str:
    """An idea's status."""
    return c.i18n.t(STATUSES[value]) if value in STATUSES else str(value)


def faq_question(c: Context, entry_id: str) -> str:
    """An FAQ entry's question in the reader's language (its id if it was removed)."""
    entry = LIBRARY.book(c.i18n.locale).entries.get(entry_id)
    return entry.question if entry is not None else entry_id


def named(counts: Counts, name: Callable[[str | None], str]) -> list[tuple[str, int]]:
    """Counts with their values named for the reader."""
    return [(name(value), count) for value, count in counts]


def listing(c: Context, counts: Sequence[tuple[str, int]]) -> str:
    """`Italy 500 · Greece 300`, or a dash when there is nothing."""
    return SEP.join(f"{name} {c.n(count)}" for name, count in counts) or "–"


def top(counts: Sequence[tuple[str, int]], other: str, keep: int) -> list[tuple[str, int]]:
    """The first `keep` entries, and the rest added up under `other`."""
    if len(counts) <= keep + 1:
        return list(counts)
    rest = sum(count for _, count in counts[keep:])
    return [*counts[:keep], (other, rest)]


def bars(
    c: Context, title: str, counts: Sequence[tuple[str, int]], horizontal: bool = True
) -> Chart | None:
    """A one-series chart of named counts (None when every count is zero)."""
    shown = list(counts)[:MAX_BARS]
    if not any(count for _, count in shown):
        return None
    return Chart(
        title,
        tuple(name for name, _ in shown),
        (Series(title, tuple(n for _, n in shown), tuple(c.n(n) for _, n in shown)),),
        horizontal=horizontal,
        note=as_of(c),
    )


def as_of(c: Context) -> str:
    """When the numbers were read, on the reader's clock."""
    return c.i18n.t(
        "As of {moment} ({zone})",
        moment=c.i18n.datetime(c.now, c.zone),
        zone="UTC" if c.zone == "UTC" else zone_label(c.zone, c.i18n.locale),
    )


def weeks(c: Context, count: int = WEEKS) -> list[tuple[datetime, datetime]]:
    """The last `count` weeks on the reader's clock (Monday to Monday), this week last."""
    zone = ZoneInfo(c.zone)
    today = c.now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=back) for back in range(count - 1, -1, -1)]
    return [
        (
            datetime.combine(day, time(), tzinfo=zone).astimezone(UTC),
            datetime.combine(day + timedelta(days=7), time(), tzinfo=zone).astimezone(UTC),
        )
        for day in starts
    ]


def day_label(c: Context, moment: datetime) -> str:
    """A short date on the reader's clock: "2 Mar", "2 mar", "2 Μαρ"."""
    return str(format_skeleton("MMMd", moment, tzinfo=ZoneInfo(c.zone), locale=c.i18n.locale))


def duration(c: Context, days: float) -> str:
    """A time span in words, to the nearest sensible unit: "2 days", "5 hours"."""
    return str(format_timedelta(timedelta(days=days), threshold=1.5, locale=c.i18n.locale))


def by_status(counts: Counts) -> dict[str, int]:
    """Counts keyed by status."""
    return {str(value): count for value, count in counts}


# -- sections --------------------------------------------------------------------------------------


async def new_users_chart(tx: Tx, c: Context) -> tuple[list[tuple[str, int]], Chart | None]:
    """New users in each of the last weeks, and their chart."""
    spans = weeks(c)
    counts = await stats.new_users(tx, spans)
    labelled = [(day_label(c, start), n) for (start, _), n in zip(spans, counts, strict=True)]
    return labelled, bars(c, c.i18n.t("New users per week"), labelled, horizontal=False)


async def overview(tx: Tx, c: Context) -> Section:
    """Every part in a line or two, and the new users per week."""
    t = c.i18n.t
    total = await stats.users_total(tx)
    channels = named(await stats.users_by_channel(tx), lambda v: channel_name(c, v))
    weekly, chart = await new_users_chart(tx, c)
    events = await stats.event_totals(tx, c.now)
    ideas = by_status(await stats.ideas_by(tx, "status"))
    questions = by_status(await stats.questions_by_status(tx))
    median, answered = await stats.median_first_reply(tx)
    unhelpful = await stats.faq_unhelpful(tx, None)
    broadcasts = by_status(await stats.broadcasts_by_status(tx))
    lines = [
        as_of(c),
        "",
        t("Users: {total} ({channels})", total=total, channels=listing(c, channels)),
        t(
            "New users: this week {week} · in the last {weeks} weeks {all}",
            week=weekly[-1][1] if weekly else 0,
            weeks=WEEKS,
            all=sum(n for _, n in weekly),
        ),
        t(
            "Events: upcoming {upcoming} · past {past} · registrations {registered}"
            " (seats {seats}) · checked in {attended} · on waitlists {waiting}",
            upcoming=events.upcoming,
            past=events.past,
            registered=events.registered,
            seats=events.seats,
            attended=events.attended,
            waiting=events.waiting,
        ),
        t(
            "Project ideas: {total} ({statuses})",
            total=sum(ideas.values()),
            statuses=listing(c, [(idea_status(c, s), ideas.get(s, 0)) for s in STATUSES]),
        ),
        t(
            "Consular: FAQ answers shown {shown} · entries marked unhelpful {unhelpful}"
            " · questions waiting for an officer {waiting}",
            shown=await stats.faq_shown(tx),
            unhelpful=len(unhelpful),
            waiting=questions.get("open", 0) + questions.get("claimed", 0),
        ),
        median_line(c, median, answered),
        t("Announcements sent out: {n}", n=broadcasts.get("done", 0)),
        messages_line(c, by_status(await stats.announcement_messages(tx))),
    ]
    return Section(t("Statistics"), "\n".join(lines), chart)


def messages_line(c: Context, messages: dict[str, int]) -> str:
    """Announcement messages sent, failed, skipped, held, cancelled and still waiting."""
    return c.i18n.t(
        "Their messages: sent {sent} · failed {failed} · skipped {skipped} · held {held}"
        " · cancelled {cancelled} · waiting {waiting}",
        sent=messages.get("sent", 0),
        failed=messages.get("failed", 0),
        skipped=messages.get("skipped", 0),
        held=messages.get("held", 0),
        cancelled=messages.get("cancelled", 0),
        waiting=messages.get("pending", 0) + messages.get("claimed", 0),
    )


def median_line(c: Context, median: float | None, answered: int) -> str:
    """The median time to an officer's first reply, or that there is none yet."""
    if median is None:
        return c.i18n.t("Median time to an officer's first reply: no replies yet")
    return c.i18n.ngettext(
        "Median time to an officer's first reply: {time} (over {n} question)",
        "Median time to an officer's first reply: {time} (over {n} questions)",
        answered,
        time=duration(c, median),
    )


async def users(tx: Tx, c: Context) -> Section:
    """Users by channel, language and country, and new users per week."""
    t = c.i18n.t
    total = await stats.users_total(tx)
    channels = named(await stats.users_by_channel(tx), lambda v: channel_name(c, v))
    languages = named(
        await stats.users_by_language(tx, LOCALES, c.default_locale),
        lambda v: c.i18n.language(v or "?"),
    )
    countries = named(await stats.users_by_country(tx), lambda v: country(c, v))
    weekly, _ = await new_users_chart(tx, c)
    lines = [
        as_of(c),
        "",
        t("Users: {total}", total=total),
        t("By channel: {list}", list=listing(c, channels)),
        t("By language: {list}", list=listing(c, languages)),
        t(
            "By country of residence: {list}",
            list=listing(c, top(countries, t("other countries"), 10)),
        ),
        t("New users per week (weeks from Monday):"),
        *(f"  {label}: {c.n(n)}" for label, n in weekly),
    ]
    chart = bars(c, t("Users by country of residence"), top(countries, t("other countries"), 6))
    return Section(t("Users"), "\n".join(lines), chart)


def event_label(c: Context, event: stats.EventCounts) -> str:
    """An event's title (marked when a sample) and its date on the event's clock."""
    title = event.title(c.i18n.locale)
    if event.sample:
        title = c.i18n.t("[Sample] {title}", title=title)
    if event.status == "cancelled":
        title = c.i18n.t("{title} (cancelled)", title=title)
    return f"{title}, {c.i18n.date(event.starts_at, event.time_zone, 'medium')}"


async def events(tx: Tx, c: Context) -> Section:
    """Registrations, attendance and waitlists per event, the latest first."""
    t = c.i18n.t
    found = await stats.event_counts(tx, EVENTS)
    totals = await stats.event_totals(tx, c.now)
    lines = [
        as_of(c),
        "",
        t(
            "All events: registrations {registered} (seats {seats}) · checked in {attended}"
            " · on waitlists {waiting}",
            registered=totals.registered,
            seats=totals.seats,
            attended=totals.attended,
            waiting=totals.waiting,
        ),
    ]
    if found:
        lines += ["", t("The latest events:")]
    for event in found:
        lines.append(
            "• "
            + t(
                "{event}: registered {registered} (seats {seats}) · checked in {attended}"
                " · on the waitlist {waiting}",
                event=event_label(c, event),
                registered=event.registered,
                seats=event.seats,
                attended=event.attended,
                waiting=event.waiting,
            )
        )
    if not found:
        lines.append(t("No published events yet."))
    chart = None
    if any(e.registered or e.waiting for e in found):
        series = (
            (t("Registered"), [e.registered for e in found]),
            (t("Checked in"), [e.attended for e in found]),
            (t("On the waitlist"), [e.waiting for e in found]),
        )
        chart = Chart(
            t("Registrations per event"),
            tuple(e.title(c.i18n.locale) for e in found),
            tuple(Series(name, tuple(v), tuple(c.n(n) for n in v)) for name, v in series),
            note=as_of(c),
        )
    return Section(t("Events"), "\n".join(lines), chart)


async def ideas(tx: Tx, c: Context) -> Section:
    """Project ideas by status, sector and county."""
    t = c.i18n.t
    statuses = by_status(await stats.ideas_by(tx, "status"))
    sectors = named(await stats.ideas_by(tx, "sector"), lambda v: sector(c, v))
    counties = named(await stats.ideas_by(tx, "county"), lambda v: county(c, v))
    lines = [
        as_of(c),
        "",
        t("Project ideas: {total}", total=sum(statuses.values())),
        t(
            "By status: {list}",
            list=listing(c, [(idea_status(c, s), statuses.get(s, 0)) for s in STATUSES]),
        ),
        t("By sector: {list}", list=listing(c, sectors)),
        t("By county: {list}", list=listing(c, counties)),
    ]
    chart = bars(c, t("Project ideas by sector"), top(sectors, t("other sectors"), 6))
    return Section(t("Project ideas"), "\n".join(lines), chart)


async def consular(tx: Tx, c: Context) -> Section:
    """The FAQ's most used and unhelpful entries, questions by status, the time to reply."""
    t = c.i18n.t
    shown = await stats.faq_shown(tx)
    used = await stats.faq_most_used(tx, LISTED)
    unhelpful = await stats.faq_unhelpful(tx, LISTED)
    questions = by_status(await stats.questions_by_status(tx))
    median, answered = await stats.median_first_reply(tx)
    lines = [as_of(c), "", t("FAQ answers shown: {n}", n=shown)]
    if used:
        lines.append(t("Most used:"))
        lines += [f"  {faq_question(c, str(e))}: {c.n(n)}" for e, n in used]
    if unhelpful:
        lines.append(t("Marked unhelpful:"))
        lines += [
            "  "
            + t(
                "{question}: {unhelpful} of {votes} votes",
                question=faq_question(c, entry),
                unhelpful=bad,
                votes=votes,
            )
            for entry, bad, votes in unhelpful
        ]
    else:
        lines.append(t("No entry has been marked unhelpful."))
    lines += [
        "",
        t(
            "Questions to officers: open {open} · being handled {claimed} · answered {answered}"
            " · closed {closed}",
            open=questions.get("open", 0),
            claimed=questions.get("claimed", 0),
            answered=questions.get("answered", 0),
            closed=questions.get("closed", 0),
        ),
        t(
            "Waiting for an officer: {n}",
            n=questions.get("open", 0) + questions.get("claimed", 0),
        ),
        median_line(c, median, answered),
    ]
    chart = bars(
        c,
        t("Most used FAQ answers"),
        [(faq_question(c, str(e)), n) for e, n in await stats.faq_most_used(tx, 6)],
    )
    return Section(t("Consular questions"), "\n".join(lines), chart)


async def announcements(tx: Tx, c: Context) -> Section:
    """Announcements by status, and their messages sent, failed, skipped and held."""
    t = c.i18n.t
    broadcasts = by_status(await stats.broadcasts_by_status(tx))
    messages = by_status(await stats.announcement_messages(tx))
    lines = [
        as_of(c),
        "",
        t(
            "Announcements: sent out {done} · being sent {sending} · scheduled {scheduled}"
            " · cancelled {cancelled}",
            done=broadcasts.get("done", 0),
            sending=broadcasts.get("sending", 0),
            scheduled=broadcasts.get("scheduled", 0),
            cancelled=broadcasts.get("cancelled", 0),
        ),
        messages_line(c, messages),
    ]
    shown = [(t(label), messages.get(s, 0)) for s, label in MESSAGE_STATUSES.items()]
    chart = bars(c, t("Announcement messages"), shown, horizontal=False)
    return Section(t("Announcements"), "\n".join(lines), chart)


SECTIONS: dict[str, Callable[[Tx, Context], Awaitable[Section]]] = {
    "overview": overview,
    "users": users,
    "events": events,
    "ideas": ideas,
    "consular": consular,
    "announcements": announcements,
}
