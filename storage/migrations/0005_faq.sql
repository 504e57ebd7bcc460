-- "Did this help?" after each FAQ answer: one vote per user and entry (a second click changes it).
CREATE TABLE faq_feedback (
    entry_id TEXT NOT NULL,
    user_key TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    voted_at TEXT NOT NULL,
    PRIMARY KEY (entry_id, user_key)
);
CREATE INDEX faq_feedback_by_user ON faq_feedback (user_key);
