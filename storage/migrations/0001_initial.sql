-- Users, roles, conversation records and processed message ids.
-- Times are UTC text (storage/clock.py). Every column holding a user key references users(key),
-- so personal data can be found by introspection (PRAGMA foreign_key_list).

CREATE TABLE users (
    key TEXT PRIMARY KEY,                  -- '<channel>:<id>'
    channel TEXT NOT NULL,
    locale TEXT,                           -- the language the user chose; NULL until chosen
    locale_hint TEXT,                      -- the platform's hint, kept for the picker
    country TEXT,                          -- ISO 3166 code of the country of residence
    city TEXT,
    time_zone TEXT,                        -- IANA name
    consent_version TEXT,                  -- privacy notice version agreed to; NULL: not agreed
    consent_at TEXT,
    consent_asked_version TEXT,            -- last version shown, so "Not now" is not nagged
    announcements INTEGER NOT NULL DEFAULT 1 CHECK (announcements IN (0, 1)),
    unreachable_at TEXT,
    unreachable_reason TEXT,
    last_inbound_at TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE roles (
    user_key TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'officer')),
    granted_by TEXT REFERENCES users(key) ON DELETE SET NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_key, role)
);

CREATE TABLE conversations (
    user_key TEXT PRIMARY KEY REFERENCES users(key) ON DELETE CASCADE,
    state TEXT NOT NULL,                   -- JSON: flow, step, data, history, stack, options
    updated_at TEXT NOT NULL
);

CREATE TABLE processed_messages (
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    user_key TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    replies TEXT NOT NULL,                 -- JSON list of the replies, to give again if undelivered
    delivered INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (channel, message_id)
);

CREATE INDEX processed_messages_by_user ON processed_messages (user_key);
CREATE INDEX processed_messages_by_age ON processed_messages (created_at);
