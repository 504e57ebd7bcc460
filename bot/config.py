"""Configuration from the environment (and `.env`), read once into a frozen, validated object."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from babel.numbers import list_currencies
from dotenv import dotenv_values

from bot.i18n import LOCALES
from bot.messages import is_user_key


class ConfigError(Exception):
    """A bad or missing setting; the message is one line that names the variable."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name


_TOKEN = re.compile(r"[0-9]{5,16}:[A-Za-z0-9_-]{30,64}")
_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_AUTH_TOKEN = re.compile(r"[0-9a-fA-F]{32}")
_SENDER = re.compile(r"whatsapp:\+[1-9][0-9]{6,14}")
_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
_TWILIO = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_FROM")
_VERSION = re.compile(r"[A-Za-z0-9._-]{1,32}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BOT_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_OFFSET = re.compile(r"([0-9]{1,4})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class Settings:
    """Every setting the bot reads; see the README for each variable."""

    database_path: Path = Path("data/diaspora.sqlite3")
    default_locale: str = "sq"
    admins: frozenset[str] = frozenset()
    officers: frozenset[str] = frozenset()
    log_level: str = "INFO"
    host: str = "0.0.0.0"
    port: int = 8080
    public_url: str | None = None
    telegram_bot_token: str | None = None
    telegram_api_base_url: str | None = None
    telegram_webhook_secret: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_base_url: str | None = None
    twilio_template_sids: Mapping[str, str] | None = None
    whatsapp_daily_template_cap: int = 250
    # What one notice template costs (None: not known), shown in a broadcast's preview.
    whatsapp_template_price: Decimal | None = None
    whatsapp_template_currency: str = "USD"
    # Bump when the privacy notice's text changes: users who agreed to an older one are asked again.
    privacy_notice_version: str = "2026-12"
    # The outbox's paces in messages a second (0: no limit), batch size, retries and concurrency.
    telegram_pace: float = 25.0
    telegram_chat_pace: float = 1.0
    whatsapp_pace: float = 10.0
    outbox_batch: int = 50
    outbox_max_attempts: int = 5
    outbox_concurrency: int = 16
    # Flood control: more than FLOOD_MESSAGES in FLOOD_WINDOW_SECONDS earns one "please slow
    # down" and FLOOD_COOLDOWN_SECONDS of silence (the console, a local operator, is exempt).
    flood_messages: int = 20
    flood_window_seconds: float = 10.0
    flood_cooldown_seconds: float = 30.0
    # "Answers usually take up to N working days", when the ministry wants to say so (else "a few").
    question_answer_days: int | None = None
    # Events: guests a member may bring, and how long before the start reminders go out.
    event_max_guests: int = 3
    event_reminders: tuple[timedelta, ...] = (timedelta(days=1), timedelta(hours=2))
    # The bot's @username for event links; web and polling ask Telegram when it is not set.
    telegram_bot_username: str | None = None
    # A running broadcast's progress: edited in place on Telegram, a new line elsewhere.
    broadcast_progress_edit_seconds: float = 5.0
    broadcast_progress_line_seconds: float = 300.0
    # Retention, in days: unfinished idea drafts and conversation records without a message;
    # processed message ids (with the replies kept for a redelivery); finished outbox rows and
    # WhatsApp delivery statuses. The background worker purges what is older.
    retention_draft_days: int = 90
    retention_processed_days: int = 7
    retention_outbox_days: int = 90

    @property
    def whatsapp(self) -> bool:
        """Whether WhatsApp through Twilio is configured."""
        return self.twilio_account_sid is not None

    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a log line."""
        values = (self.telegram_bot_token, self.telegram_webhook_secret, self.twilio_auth_token)
        return tuple(v for v in values if v)

    def static_roles(self, key: str) -> frozenset[str]:
        """The roles the environment gives a user (the console's `admin` is always an admin)."""
        roles = set()
        if key in self.admins or key == "console:admin":
            roles.add("admin")
        if key in self.officers:
            roles.add("officer")
        return frozenset(roles)


def load(environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    """Read and validate the settings; the environment wins over `.env`."""
    merged: dict[str, str] = {}
    if dotenv is not None and dotenv.is_file():
        merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    env = {k: v.strip() for k, v in merged.items() if v.strip()}

    templates = {
        locale: value
        for locale in LOCALES
        if (
            value := _match(
                env,
                f"TWILIO_TEMPLATE_SID_{locale.upper()}",
                _CONTENT_SID,
                "must be a Content template SID (HX followed by 32 hex digits)",
            )
        )
    }
    settings = Settings(
        database_path=Path(env.get("DATABASE_PATH", "data/diaspora.sqlite3")),
        default_locale=_choice(env, "DEFAULT_LOCALE", "sq", LOCALES),
        admins=_keys(env, "ADMINS"),
        officers=_keys(env, "OFFICERS"),
        log_level=_choice(
            env, "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"), upper=True
        ),
        host=env.get("HOST", "0.0.0.0"),
        port=_integer(env, "PORT", 8080, 1, 65535),
        public_url=_url(env, "PUBLIC_URL"),
        telegram_bot_token=_match(env, "TELEGRAM_BOT_TOKEN", _TOKEN, "not a bot token"),
        telegram_api_base_url=_url(env, "TELEGRAM_API_BASE_URL", https_only=False),
        telegram_webhook_secret=_match(
            env, "TELEGRAM_WEBHOOK_SECRET", _SECRET, "use 1-256 characters of A-Z a-z 0-9 _ -"
        ),
        twilio_account_sid=_match(
            env, "TWILIO_ACCOUNT_SID", _ACCOUNT_SID, "must be AC followed by 32 hex digits"
        ),
        twilio_auth_token=_match(
            env, "TWILIO_AUTH_TOKEN", _AUTH_TOKEN, "must be the 32 hex digits Twilio shows"
        ),
        twilio_whatsapp_from=_match(
            env, "TWILIO_WHATSAPP_FROM", _SENDER, "must look like whatsapp:+14155238886"
        ),
        twilio_api_base_url=_url(env, "TWILIO_API_BASE_URL", https_only=False),
        twilio_template_sids=templates or None,
        whatsapp_daily_template_cap=_integer(env, "WHATSAPP_DAILY_TEMPLATE_CAP", 250, 0, 10**9),
        whatsapp_template_price=_price(env, "WHATSAPP_TEMPLATE_PRICE"),
        whatsapp_template_currency=_currency(env, "WHATSAPP_TEMPLATE_CURRENCY", "USD"),
        privacy_notice_version=_match(
            env, "PRIVACY_NOTICE_VERSION", _VERSION, "use 1-32 characters of A-Z a-z 0-9 . _ -"
        )
        or Settings.privacy_notice_version,
        telegram_pace=_rate(env, "TELEGRAM_PACE", 25.0),
        telegram_chat_pace=_rate(env, "TELEGRAM_CHAT_PACE", 1.0),
        whatsapp_pace=_rate(env, "WHATSAPP_PACE", 10.0),
        outbox_batch=_integer(env, "OUTBOX_BATCH", 50, 1, 10_000),
        outbox_max_attempts=_integer(env, "OUTBOX_MAX_ATTEMPTS", 5, 1, 100),
        outbox_concurrency=_integer(env, "OUTBOX_CONCURRENCY", 16, 1, 1_000),
        flood_messages=_integer(env, "FLOOD_MESSAGES", 20, 1, 100_000),
        flood_window_seconds=_seconds(env, "FLOOD_WINDOW_SECONDS", 10.0),
        flood_cooldown_seconds=_seconds(env, "FLOOD_COOLDOWN_SECONDS", 30.0),
        question_answer_days=(
            _integer(env, "QUESTION_ANSWER_DAYS", 0, 1, 60)
            if "QUESTION_ANSWER_DAYS" in env
            else None
        ),
        event_max_guests=_integer(env, "EVENT_MAX_GUESTS", 3, 0, 20),
        event_reminders=_offsets(env, "EVENT_REMINDERS", Settings.event_reminders),
        telegram_bot_username=_match(
            env,
            "TELEGRAM_BOT_USERNAME",
            _BOT_USERNAME,
            "the bot's username without @: 4-32 characters of A-Z a-z 0-9 _",
        ),
        broadcast_progress_edit_seconds=_seconds(env, "BROADCAST_PROGRESS_EDIT_SECONDS", 5.0),
        broadcast_progress_line_seconds=_seconds(env, "BROADCAST_PROGRESS_LINE_SECONDS", 300.0),
        retention_draft_days=_integer(env, "RETENTION_DRAFT_DAYS", 90, 1, 3650),
        retention_processed_days=_integer(env, "RETENTION_PROCESSED_DAYS", 7, 1, 365),
        retention_outbox_days=_integer(env, "RETENTION_OUTBOX_DAYS", 90, 1, 3650),
    )
    _twilio_complete(env)
    return settings


def _twilio_complete(env: Mapping[str, str]) -> None:
    """WhatsApp needs the account, its token and the sender together, or none of them."""
    given = [name for name in _TWILIO if name in env]
    if given:
        for name in _TWILIO:
            if name not in env:
                raise ConfigError(name, f"required for WhatsApp (as {given[0]} is set)")


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level, with secrets redacted and httpx quiet."""
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("twilio").setLevel(logging.WARNING)  # it logs every request at INFO
    redactor = Redactor(settings.secrets())
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)


class Redactor(logging.Filter):
    """Replace secret values in a record's final message, whatever logger produced it."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redact it, and drop the arguments."""
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "[redacted]")
        record.msg, record.args = message, None
        return True


def _choice(
    env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...], upper: bool = False
) -> str:
    """A value from a fixed list."""
    value = env.get(name, default)
    value = value.upper() if upper else value.lower()
    if value not in allowed:
        raise ConfigError(name, f"must be one of {', '.join(allowed)}")
    return value


def _keys(env: Mapping[str, str], name: str) -> frozenset[str]:
    """A comma-separated list of user keys such as `telegram:123,whatsapp:+39...`."""
    keys = frozenset(part.strip() for part in env.get(name, "").split(",") if part.strip())
    bad = sorted(k for k in keys if not is_user_key(k))
    if bad:
        raise ConfigError(name, f"not a user key (<channel>:<id>): {bad[0]}")
    return keys


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole number within bounds."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, "must be a whole number") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}")
    return value


def _rate(env: Mapping[str, str], name: str, default: float) -> float:
    """Messages a second, 0 meaning no limit."""
    return _real(env, name, default, (0, 100_000), "a number of messages a second (0: no limit)")


def _offsets(
    env: Mapping[str, str], name: str, default: tuple[timedelta, ...]
) -> tuple[timedelta, ...]:
    """Comma-separated offsets such as `1d,2h,30m` (`none`: no reminders), longest first."""
    raw = env.get(name)
    if raw is None:
        return default
    if raw.lower() == "none":
        return ()
    found = set()
    for part in raw.split(","):
        match = _OFFSET.fullmatch(part.strip().lower())
        if match is None or int(match.group(1)) == 0:
            raise ConfigError(name, "use offsets like 1d,2h,30m (days, hours, minutes) or none")
        found.add(timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
    return tuple(sorted(found, reverse=True))


def _price(env: Mapping[str, str], name: str) -> Decimal | None:
    """An amount of money such as 0.0147 (a dot for decimals), at most 1000."""
    raw = env.get(name)
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigError(name, "must be an amount such as 0.0147 (a dot for decimals)") from None
    if not value.is_finite() or not 0 <= value <= 1000:
        raise ConfigError(name, "must be an amount between 0 and 1000")
    return value


def _currency(env: Mapping[str, str], name: str, default: str) -> str:
    """An ISO 4217 currency code that Babel can format (USD, EUR, ALL)."""
    value = env.get(name, default).upper()
    if value not in list_currencies():
        raise ConfigError(name, "must be an ISO 4217 currency code such as USD or EUR")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A number of seconds between 0.1 and a day."""
    return _real(env, name, default, (0.1, 86_400), "a number of seconds", unit=" seconds")


def _real(
    env: Mapping[str, str],
    name: str,
    default: float,
    bounds: tuple[float, float],
    what: str,
    unit: str = "",
) -> float:
    """A number (decimals allowed) within bounds."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be {what}") from None
    low, high = bounds
    if not low <= value <= high:  # also refuses nan
        raise ConfigError(name, f"must be between {low:g} and {high:g}{unit}")
    return value


def _url(env: Mapping[str, str], name: str, https_only: bool = True) -> str | None:
    """An absolute http(s) URL without a trailing slash."""
    raw = env.get(name)
    if raw is None:
        return None
    parts = urlsplit(raw)
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(name, f"must be an absolute {' or '.join(schemes)} URL")
    return raw.rstrip("/")


def _match(env: Mapping[str, str], name: str, pattern: re.Pattern[str], problem: str) -> str | None:
    """A value that must have a given shape; the value itself is never echoed (it may be secret)."""
    raw = env.get(name)
    if raw is not None and not pattern.fullmatch(raw):
        raise ConfigError(name, problem)
    return raw
