-- Button payloads longer than Telegram's 64-byte callback_data, kept under a short key.
CREATE TABLE telegram_callbacks (
    key TEXT PRIMARY KEY,                  -- '#' + 16 characters of the payload's hash
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
