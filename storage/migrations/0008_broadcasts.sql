-- Announcements: an admin composes a broadcast, chooses its audience, sends or schedules it.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    sender_user TEXT REFERENCES users(key) ON DELETE SET NULL,  -- the admin who composed it
    title TEXT,
    texts TEXT NOT NULL,                   -- JSON {locale: text}; "*" is one text for everyone
    fallback TEXT NOT NULL,                -- the key of `texts` for languages without a version
    audience TEXT NOT NULL,                -- JSON [[audience name, {param: value}], ...] (AND)
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')),
    scheduled_for TEXT,                    -- UTC; due when it has passed
    fanned_out_after TEXT,                 -- the last user key queued so far (resumes a fan-out)
    fanned_out_at TEXT,                    -- every recipient's row is queued
    progress_row INTEGER REFERENCES outbox(id) ON DELETE SET NULL,  -- the message edited in place
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,                      -- done or cancelled
    reported_at TEXT                       -- the final report was queued for the sender
);
CREATE INDEX broadcasts_by_status ON broadcasts (status, scheduled_for);
