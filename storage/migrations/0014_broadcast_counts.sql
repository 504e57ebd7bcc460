-- An announcement's messages outlive their outbox rows: the retention purge and an erasure first
-- add the finished rows of a broadcast they delete to these counts, in the same transaction. So
-- a broadcast's counts are its live rows plus these, exact however much has been purged, and
-- held rows that are delivered after the broadcast is done are still counted when they go out.
-- Only numbers are kept: no recipient, no message.
CREATE TABLE broadcast_counts (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    status TEXT NOT NULL,                  -- sent, failed, skipped or cancelled
    reason TEXT NOT NULL DEFAULT '',       -- why it failed or was skipped ('' when none)
    n INTEGER NOT NULL CHECK (n > 0),
    PRIMARY KEY (broadcast_id, status, reason)
) WITHOUT ROWID;
