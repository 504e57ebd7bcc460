"""Settings: defaults, one-line errors naming the variable, .env, secrets kept out of logs."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from bot import config

TOKEN = "123456789:AAE1bcdefghijklmnopqrstuvwxyz012345"
TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
    "TWILIO_AUTH_TOKEN": "fedcba9876543210" * 2,
    "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
}


def test_whatsapp_settings() -> None:
    settings = config.load({**TWILIO, "TWILIO_TEMPLATE_SID_IT": "HX" + "a" * 32}, dotenv=None)
    assert settings.whatsapp
    assert settings.twilio_template_sids == {"it": "HX" + "a" * 32}
    assert TWILIO["TWILIO_AUTH_TOKEN"] in settings.secrets()
    assert not config.load({}, dotenv=None).whatsapp


def test_defaults() -> None:
    settings = config.load({}, dotenv=None)
    assert settings.default_locale == "sq"
    assert settings.port == 8080
    assert settings.database_path == Path("data/diaspora.sqlite3")
    assert settings.static_roles("console:admin") == frozenset({"admin"})
    assert settings.static_roles("telegram:5") == frozenset()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "eighty"}, "PORT: must be a whole number"),
        ({"PORT": "70000"}, "PORT: must be between 1 and 65535"),
        ({"DEFAULT_LOCALE": "de"}, "DEFAULT_LOCALE: must be one of sq, it, el, en"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR"),
        ({"OFFICERS": "telegram:12,sms:+39"}, "OFFICERS: not a user key (<channel>:<id>): sms:+39"),
        ({"PUBLIC_URL": "example.org"}, "PUBLIC_URL: must be an absolute https URL"),
        ({"PUBLIC_URL": "http://example.org"}, "PUBLIC_URL: must be an absolute https URL"),
        ({"TELEGRAM_BOT_TOKEN": "12345"}, "TELEGRAM_BOT_TOKEN: not a bot token"),
        (
            {"TELEGRAM_WEBHOOK_SECRET": "has space"},
            "TELEGRAM_WEBHOOK_SECRET: use 1-256 characters of A-Z a-z 0-9 _ -",
        ),
        (
            {"TWILIO_ACCOUNT_SID": "SK" + "0" * 32},
            "TWILIO_ACCOUNT_SID: must be AC followed by 32 hex digits",
        ),
        (
            {**TWILIO, "TWILIO_WHATSAPP_FROM": "+14155238886"},
            "TWILIO_WHATSAPP_FROM: must look like whatsapp:+14155238886",
        ),
        (
            {**TWILIO, "TWILIO_AUTH_TOKEN": "short"},
            "TWILIO_AUTH_TOKEN: must be the 32 hex digits Twilio shows",
        ),
        (
            {"TWILIO_ACCOUNT_SID": TWILIO["TWILIO_ACCOUNT_SID"]},
            "TWILIO_AUTH_TOKEN: required for WhatsApp (as TWILIO_ACCOUNT_SID is set)",
        ),
        (
            {**TWILIO, "TWILIO_TEMPLATE_SID_EL": "HX123"},
            "TWILIO_TEMPLATE_SID_EL: must be a Content template SID (HX followed by 32 hex digits)",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(config.ConfigError) as caught:
        config.load(env, dotenv=None)
    assert str(caught.value) == message


def test_a_secret_value_is_never_echoed_in_the_error() -> None:
    with pytest.raises(config.ConfigError) as caught:
        config.load({"TELEGRAM_BOT_TOKEN": "secret-but-malformed"}, dotenv=None)
    assert "secret-but-malformed" not in str(caught.value)


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("ADMINS=telegram:7\nDEFAULT_LOCALE=it\n")
    settings = config.load({"DEFAULT_LOCALE": "el"}, dotenv=dotenv)
    assert settings.admins == frozenset({"telegram:7"})
    assert settings.default_locale == "el"


def test_secrets_are_redacted_from_log_records(caplog: pytest.LogCaptureFixture) -> None:
    settings = config.load({"TELEGRAM_BOT_TOKEN": TOKEN}, dotenv=None)
    logger = logging.getLogger("test.redaction")
    redactor = config.Redactor(settings.secrets())
    logger.addFilter(redactor)
    try:
        with caplog.at_level(logging.DEBUG, logger="test.redaction"):
            logger.info("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
            try:
                raise RuntimeError(f"failed calling bot{TOKEN}")
            except RuntimeError:
                logger.exception("send failed")
    finally:
        logger.removeFilter(redactor)
    assert TOKEN not in caplog.text
    assert "bot[redacted]/sendMessage" in caplog.text


def test_broadcast_settings() -> None:
    settings = config.load(
        {
            "WHATSAPP_TEMPLATE_PRICE": "0.0147",
            "WHATSAPP_TEMPLATE_CURRENCY": "eur",
            "BROADCAST_PROGRESS_EDIT_SECONDS": "2.5",
        },
        dotenv=None,
    )
    assert settings.whatsapp_template_price == Decimal("0.0147")
    assert settings.whatsapp_template_currency == "EUR"
    assert settings.broadcast_progress_edit_seconds == 2.5
    defaults = config.load({}, dotenv=None)
    assert defaults.whatsapp_template_price is None
    assert defaults.whatsapp_template_currency == "USD"
    assert defaults.broadcast_progress_line_seconds == 300.0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"WHATSAPP_TEMPLATE_PRICE": "0,02"},
            "WHATSAPP_TEMPLATE_PRICE: must be an amount such as 0.0147 (a dot for decimals)",
        ),
        (
            {"WHATSAPP_TEMPLATE_PRICE": "-1"},
            "WHATSAPP_TEMPLATE_PRICE: must be an amount between 0 and 1000",
        ),
        (
            {"WHATSAPP_TEMPLATE_PRICE": "NaN"},
            "WHATSAPP_TEMPLATE_PRICE: must be an amount between 0 and 1000",
        ),
        (
            {"WHATSAPP_TEMPLATE_CURRENCY": "dollars"},
            "WHATSAPP_TEMPLATE_CURRENCY: must be an ISO 4217 currency code such as USD or EUR",
        ),
        (
            {"BROADCAST_PROGRESS_LINE_SECONDS": "0"},
            "BROADCAST_PROGRESS_LINE_SECONDS: must be between 0.1 and 86400 seconds",
        ),
        (
            {"BROADCAST_PROGRESS_EDIT_SECONDS": "soon"},
            "BROADCAST_PROGRESS_EDIT_SECONDS: must be a number of seconds",
        ),
    ],
)
def test_a_bad_broadcast_setting_is_one_line_naming_it(env: dict[str, str], message: str) -> None:
    with pytest.raises(config.ConfigError) as caught:
        config.load(env, dotenv=None)
    assert str(caught.value) == message
