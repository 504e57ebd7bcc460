-- Admin insight: how often each FAQ answer is shown, the weekly digest's schedule per admin, and
-- the indexes the statistics' aggregates read (bench/stats.py prints their query plans).

-- Answers shown per FAQ entry: a counter, no user keys.
CREATE TABLE faq_views (
    entry_id TEXT PRIMARY KEY,
    shown INTEGER NOT NULL DEFAULT 0 CHECK (shown >= 0),
    last_shown_at TEXT NOT NULL
);

-- Admins who asked for the weekly digest: the weekday and hour on their clock, in their zone.
CREATE TABLE digest_subscriptions (
    user_key TEXT PRIMARY KEY REFERENCES users(key) ON DELETE CASCADE,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),  -- 0 is Monday
    hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    time_zone TEXT NOT NULL,               -- IANA name, kept as chosen
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- What the statistics group and count by (storage/stats.py), each read from its index alone.
CREATE INDEX users_by_channel ON users (channel);
CREATE INDEX users_by_country ON users (country);
CREATE INDEX users_by_language ON users (locale, locale_hint);
CREATE INDEX users_by_creation ON users (created_at);
CREATE INDEX registrations_by_status ON registrations (status, seats, checked_in_at);
CREATE INDEX ideas_by_county ON ideas (county);
CREATE INDEX faq_feedback_by_entry ON faq_feedback (entry_id, helpful);
CREATE INDEX question_messages_by_side ON question_messages (side, question_id, created_at);
