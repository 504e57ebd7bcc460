"""What an admin reads before sending: who gets it, the WhatsApp window, cost and time."""

from __future__ import annotations

from bot.broadcasts import BASE, Forecast
from bot.i18n import LOCALES
from bot.turn import Turn
from handlers.announcements import duration, money
from storage.broadcasts import Chosen


async def describe_audience(turn: Turn, chosen: Chosen) -> str:
    """The audiences in words: "Everyone with announcements on · By language: Italiano"."""
    base = turn.registry.audiences.get(BASE)
    parts = [turn.t(base.label) if base is not None else BASE]
    for name, values in chosen:
        if name == BASE:
            continue
        found = turn.registry.audiences.get(name)
        if found is None:
            parts.append(name)
            continue
        labels = []
        for param in found.params:
            value = values.get(param.name, "")
            choices = dict((v, label) for label, v in await param.choices(turn.db, turn))
            labels.append(choices.get(value, value))
        parts.append(f"{turn.t(found.label)}: {', '.join(labels)}")
    return " · ".join(parts)


def recipients_lines(turn: Turn, seen: Forecast) -> list[str]:
    """Recipients per channel and language."""
    lines = [turn.ngettext("{n} recipient:", "{n} recipients:", seen.total)]
    names = {"telegram": "Telegram", "whatsapp": "WhatsApp", "console": turn.t("Console")}
    for channel in ("telegram", "whatsapp", "console"):
        by_language = seen.recipients.get(channel)
        if not by_language:
            continue
        languages = ", ".join(
            f"{turn.i18n.language(locale)} {turn.i18n.number(by_language[locale])}"
            for locale in LOCALES
            if by_language.get(locale)
        )
        lines.append(
            f"{names[channel]}: {turn.i18n.number(sum(by_language.values()))} ({languages})"
        )
    return lines


def window_lines(turn: Turn, seen: Forecast, today: bool) -> list[str]:
    """The WhatsApp window: notices, the daily cap and their cost."""
    if not seen.outside_window:
        return []
    lines = [
        turn.ngettext(
            "{n} WhatsApp user is outside the 24-hour window.",
            "{n} WhatsApp users are outside the 24-hour window.",
            seen.outside_window,
        )
    ]
    if not seen.templates:
        lines.append(
            turn.ngettext(
                "No notice template is configured: this user will be skipped.",
                "No notice template is configured: they will be skipped.",
                seen.outside_window,
            )
        )
        return lines
    lines.append(
        turn.ngettext(
            "This user gets a notice template and reads the announcement on writing back.",
            "They get a notice template and read the announcement when they write.",
            seen.outside_window,
        )
    )
    left = (
        turn.t("{left} left today", left=seen.notices_left)
        if today
        else turn.t("{left} left that day", left=seen.notices_left)
    )
    lines.append(
        turn.ngettext(
            "Notice templates: {n} needed, {left} (daily cap {cap}).",
            "Notice templates: {n} needed, {left} (daily cap {cap}).",
            seen.notices,
            left=left,
            cap=turn.settings.whatsapp_daily_template_cap,
        )
    )
    if seen.notices > seen.notices_left:
        lines.append(
            turn.ngettext(
                "Over the cap: {n} notice waits for the next day.",
                "Over the cap: {n} notices wait for the following days.",
                seen.notices - seen.notices_left,
            )
        )
    price = turn.settings.whatsapp_template_price
    if price is None or seen.cost is None:
        lines.append(turn.t("Cost: not known (WHATSAPP_TEMPLATE_PRICE is not set)."))
    else:
        currency = turn.settings.whatsapp_template_currency
        lines.append(
            turn.t(
                "Cost: about {cost} ({price} each).",
                cost=money(turn.i18n, seen.cost, currency),
                price=money(turn.i18n, price, currency, exact=True),
            )
        )
    return lines


def timing_line(turn: Turn, seen: Forecast) -> str:
    """How long the send takes at the configured paces."""
    if seen.seconds <= 0:
        return turn.t("No pace is configured: it goes out as fast as the platforms take it.")
    return turn.t(
        "Sending takes about {duration} at the configured pace.",
        duration=duration(turn.i18n, seen.seconds),
    )
