-- What admins and officers did: every step of a staff-only flow that changed stored data or
-- produced an export, with who and when. Kept when the actor's data is erased (actor cleared).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    actor TEXT REFERENCES users(key) ON DELETE SET NULL,
    action TEXT NOT NULL,                  -- 'flow.step: choice'
    subject TEXT,                          -- the event, question, idea, broadcast or user concerned
    at TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE INDEX audit_log_by_actor ON audit_log (actor);
