"""The admins at the door (check-in by code) and the links and QR codes for a poster."""

from __future__ import annotations

from urllib.parse import quote

from bot.flow import Answer, Next
from bot.messages import AttachmentSpec, Button
from bot.turn import Turn
from handlers import event_files, event_views
from handlers.event_manage import current_event, flow
from storage import events

# -- the door ------------------------------------------------------------------------------------


@flow.ask("checkin")
async def ask_checkin(turn: Turn) -> Next | None:
    """Codes one after another, typed or read from the member's QR code."""
    event = await current_event(turn)
    if event is None:
        return "events"
    turn.reply(
        turn.t(
            "Check-in for {title}: type or paste a member's code (from their message or QR"
            " code). Checked in so far: {n}.",
            title=event_views.title(turn.i18n, event),
            n=await events.checked_in(turn.db, event.id),
        ),
        buttons=[Button(turn.t("Done"), "done")],
    )
    return None


@flow.answer("checkin", text=True)
async def take_checkin(turn: Turn, answer: Answer) -> Next:
    """Check one code in, or say clearly why not."""
    event = await current_event(turn)
    if answer.choice == "done" or event is None:
        return "event"
    typed = events.normalize_code(answer.text)
    shown = f"{typed[:3]}-{typed[3:]}" if len(typed) == events.CODE_LENGTH else answer.text[:20]
    reg = await events.by_code(turn.db, typed) if len(typed) == events.CODE_LENGTH else None
    if reg is None:
        turn.reply(turn.t("No registration has the code {code}.", code=shown))
    elif reg.event_id != event.id:
        other = await events.get(turn.db, reg.event_id)
        turn.reply(
            turn.t(
                "The code {code} is for another event: {title}.",
                code=shown,
                title=event_views.title(turn.i18n, other) if other else "?",
            )
        )
    elif reg.status == "cancelled":
        turn.reply(turn.t("The registration {code} was cancelled.", code=shown))
    elif reg.status == "waitlisted":
        turn.reply(turn.t("{code} is on the waitlist: no seat was confirmed.", code=shown))
    else:
        done, now = await events.check_in(turn.db, reg.id, turn.key, turn.now)
        if done:
            turn.reply(
                turn.ngettext(
                    "Welcome: {code} checked in, {n} seat ({key}).",
                    "Welcome: {code} checked in, {n} seats ({key}).",
                    reg.seats,
                    code=shown,
                    key=reg.user_key,
                )
            )
        elif now is not None and now.checked_in_at is not None:
            turn.reply(
                turn.t(
                    "Already used: {code} was checked in on {time}.",
                    code=shown,
                    time=event_views.moment(turn.i18n, now.checked_in_at, event.time_zone),
                )
            )
    return flow.again


# -- links ---------------------------------------------------------------------------------------


def telegram_link(turn: Turn, event_id: int) -> str | None:
    """The Telegram deep link to an event, when the bot's username is known."""
    name = turn.settings.telegram_bot_username
    return f"https://t.me/{name}?start=event-{event_id}" if name else None


def whatsapp_link(turn: Turn, event_id: int) -> str | None:
    """The wa.me link that opens a chat with `EVENT <id>` typed, when WhatsApp is set up."""
    sender = turn.settings.twilio_whatsapp_from
    if not sender:
        return None
    number = sender.removeprefix("whatsapp:").removeprefix("+")
    return f"https://wa.me/{number}?text={quote(f'EVENT {event_id}')}"


@flow.ask("links")
async def ask_links(turn: Turn) -> Next | None:
    """The links for a poster, and QR codes of them."""
    event = await current_event(turn)
    if event is None:
        return "events"
    telegram, whatsapp = telegram_link(turn, event.id), whatsapp_link(turn, event.id)
    lines = [
        turn.t("Telegram: {link}", link=telegram or f"/start event-{event.id}"),
        turn.t("WhatsApp: {link}", link=whatsapp or f"EVENT {event.id}"),
    ]
    if telegram is None or whatsapp is None:
        lines += [
            "",
            turn.t(
                "A full link needs the bot's Telegram username or the WhatsApp number in the"
                " configuration; until then, members can send the text shown."
            ),
        ]
    buttons = []
    images = turn.channel != "whatsapp"  # WhatsApp carries no files from us
    if telegram and images:
        buttons.append(Button(turn.t("QR code for Telegram"), "telegram"))
    if whatsapp and images:
        buttons.append(Button(turn.t("QR code for WhatsApp"), "whatsapp"))
    buttons.append(Button(turn.t("Back to the event"), "back"))
    turn.reply("\n".join(lines), title=turn.t("Links for the poster"), buttons=buttons)
    return None


@flow.answer("links")
async def take_links(turn: Turn, answer: Answer) -> Next:
    """A QR code image of a link."""
    event = await current_event(turn)
    if event is None:
        return "events"
    link = {"telegram": telegram_link, "whatsapp": whatsapp_link}.get(answer.choice or "")
    target = link(turn, event.id) if link else None
    if target is None:
        return "event"
    turn.reply(
        target,
        attachment=AttachmentSpec(
            event_files.QR_RENDERER, {"text": target, "name": f"event-{event.id}-{answer.choice}"}
        ),
    )
    return flow.again
