-- Personal data. Retention: the background worker deletes what is older than the configured ages,
-- a chunk at a time, oldest first; these indexes let each chunk find its rows without scanning.
CREATE INDEX outbox_by_finished ON outbox (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX whatsapp_statuses_by_age ON whatsapp_statuses (updated_at);
CREATE INDEX conversations_by_age ON conversations (updated_at);
CREATE INDEX idea_drafts_by_age ON idea_drafts (updated_at);

-- Erasure detaches a staff member from what they did; on the large tables, find those rows fast.
CREATE INDEX registrations_by_door ON registrations (checked_in_by) WHERE checked_in_by IS NOT NULL;
CREATE INDEX questions_by_claim ON questions (claimed_by) WHERE claimed_by IS NOT NULL;
