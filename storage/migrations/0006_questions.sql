-- Questions handed over to consular officers, their conversation, and reference numbers.
CREATE TABLE reference_counters (
    prefix TEXT NOT NULL,                  -- 'Q' for questions (later 'IDEA' for project ideas)
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,        -- 'Q-2026-0042'
    user_key TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    about TEXT,                            -- the consulate or country it concerns, as typed
    locale TEXT NOT NULL,                  -- the member's language when asking
    channel TEXT NOT NULL,
    country TEXT,                          -- the member's country of residence when asking
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'answered', 'closed')),
    claimed_by TEXT REFERENCES users(key) ON DELETE SET NULL,
    claimed_at TEXT,
    faq_id TEXT,                           -- the FAQ entry the member saw before asking, if any
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX questions_by_status ON questions (status, created_at);
CREATE INDEX questions_by_user ON questions (user_key);

CREATE TABLE question_messages (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    author TEXT REFERENCES users(key) ON DELETE SET NULL,
    side TEXT NOT NULL CHECK (side IN ('member', 'officer')),
    body TEXT NOT NULL,
    faq_id TEXT,                           -- an FAQ entry an officer linked in the answer
    created_at TEXT NOT NULL
);
CREATE INDEX question_messages_by_question ON question_messages (question_id, id);
CREATE INDEX question_messages_by_author ON question_messages (author);

-- Per officer: whether new questions are announced to them (on unless switched off).
CREATE TABLE officer_settings (
    user_key TEXT PRIMARY KEY REFERENCES users(key) ON DELETE CASCADE,
    notify_new INTEGER NOT NULL DEFAULT 1 CHECK (notify_new IN (0, 1))
);
