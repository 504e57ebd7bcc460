-- The durable outbox: every message that is not the direct reply to a user's message.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    channel TEXT NOT NULL,                 -- the recipient's channel, for per-channel claims
    renderer TEXT NOT NULL,                -- a renderer registered by a flow module
    args TEXT NOT NULL DEFAULT '{}',       -- its arguments, JSON
    lane TEXT NOT NULL CHECK (lane IN ('direct', 'bulk')),
    idempotency_key TEXT NOT NULL UNIQUE,  -- a reminder is queued once per event, user and offset
    batch TEXT,                            -- rows sent together (a broadcast), for reports
    edits INTEGER REFERENCES outbox(id) ON DELETE SET NULL,  -- edit the message that row sent
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'claimed', 'sent', 'failed', 'skipped', 'held', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT NOT NULL,
    next_attempt TEXT NOT NULL,            -- not_before, then later after a failure
    claimed_at TEXT,
    platform_message_id TEXT,              -- the (first) message id the platform gave
    reason TEXT,                           -- why it failed, was skipped or is held
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX outbox_due ON outbox (channel, status, lane, next_attempt);
CREATE INDEX outbox_by_batch ON outbox (batch, status);
CREATE INDEX outbox_by_recipient ON outbox (recipient, status);

-- WhatsApp notice templates: one per user until they write back, within a daily cap.
ALTER TABLE users ADD COLUMN notice_sent_at TEXT;

-- Delivery statuses of WhatsApp messages the outbox sent, linked to their rows.
ALTER TABLE whatsapp_statuses ADD COLUMN outbox_id INTEGER REFERENCES outbox(id) ON DELETE SET NULL;
