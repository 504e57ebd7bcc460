-- Opt-out (STOP / START), and the delivery statuses Twilio reports for outgoing WhatsApp messages.
ALTER TABLE users ADD COLUMN opted_out_at TEXT;   -- set by STOP: no proactive message at all

CREATE TABLE whatsapp_statuses (
    message_sid TEXT PRIMARY KEY,          -- Twilio's outgoing MessageSid
    user_key TEXT REFERENCES users(key) ON DELETE CASCADE,
    status TEXT NOT NULL,                  -- queued, sent, delivered, read, failed, undelivered
    error_code INTEGER,
    updated_at TEXT NOT NULL
);
CREATE INDEX whatsapp_statuses_by_user ON whatsapp_statuses (user_key);
