-- START is stored with its time, as STOP is: when a user turned proactive messages back on.
-- Set by START (which clears opted_out_at) and cleared by STOP, so at most one of the two is set.
ALTER TABLE users ADD COLUMN opted_in_at TEXT;
