-- Retention: the background worker deletes what is older than the configured ages, a chunk at a
-- time, oldest first; these indexes let each chunk find its rows without scanning the table.
CREATE INDEX outbox_by_finished ON outbox (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX whatsapp_statuses_by_age ON whatsapp_statuses (updated_at);
CREATE INDEX conversations_by_age ON conversations (updated_at);
CREATE INDEX idea_drafts_by_age ON idea_drafts (updated_at);
