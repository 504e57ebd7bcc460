-- Events (community meetings, the Diaspora Summit), their texts per language, and registrations.
-- Times are UTC text (storage/clock.py); `time_zone` is the event's own IANA zone, for display.

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled')),
    sample INTEGER NOT NULL DEFAULT 0 CHECK (sample IN (0, 1)),  -- demo content, shown as such
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    venue TEXT,                            -- in person: the place, as the organisers name it
    city TEXT,
    country TEXT,                          -- ISO 3166 code
    online_url TEXT,                       -- online: the link to join
    capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),  -- seats; NULL: unlimited
    deadline_at TEXT,                      -- registration closes; NULL: at the start
    created_by TEXT REFERENCES users(key) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX events_upcoming ON events (status, starts_at);

CREATE TABLE event_texts (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    locale TEXT NOT NULL CHECK (locale IN ('sq', 'it', 'el', 'en')),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (event_id, locale)
);

CREATE TABLE registrations (
    id INTEGER PRIMARY KEY,                -- also the order of the waitlist
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    user_key TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    seats INTEGER NOT NULL CHECK (seats >= 1),  -- the member and their guests
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    code TEXT NOT NULL UNIQUE,             -- the check-in code shown at the door
    token TEXT NOT NULL UNIQUE,            -- unguessable (128 bits): the calendar file's address
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    cancelled_at TEXT,
    checked_in_at TEXT,
    checked_in_by TEXT REFERENCES users(key) ON DELETE SET NULL
);
-- One live registration per member and event: a double click cannot book twice.
CREATE UNIQUE INDEX registrations_one_live
    ON registrations (event_id, user_key) WHERE status != 'cancelled';
CREATE INDEX registrations_by_event ON registrations (event_id, status, id);
CREATE INDEX registrations_by_user ON registrations (user_key, status);
