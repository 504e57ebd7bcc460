-- Project ideas from the diaspora, their review history, unfinished drafts, and the opt-in skills
-- profiles. Sectors, kinds of support and counties are short ids the code names in each language
-- (handlers/idea_terms.py); they are checked there, so that adding a sector needs no table rebuild.
CREATE TABLE ideas (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,        -- 'IDEA-2026-0042'
    user_key TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    sector TEXT NOT NULL,                  -- business, research, education, health, tourism, ...
    direction TEXT NOT NULL CHECK (direction IN ('offer', 'seek')),
    support TEXT NOT NULL,                 -- investment, expertise, partnership, capacity, volunteering
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    county TEXT NOT NULL,                  -- one of Albania's 12 counties ('korce'), or 'all'
    contact_way TEXT NOT NULL CHECK (contact_way IN ('chat', 'email', 'phone')),
    contact TEXT,                          -- the e-mail address or the E.164 number; NULL for chat
    locale TEXT NOT NULL,                  -- the member's language when submitting
    channel TEXT NOT NULL,
    country TEXT,                          -- the member's country of residence when submitting
    status TEXT NOT NULL DEFAULT 'received'
        CHECK (status IN ('received', 'under_review', 'shortlisted', 'accepted', 'declined')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((contact_way = 'chat') = (contact IS NULL))
);
CREATE INDEX ideas_by_status ON ideas (status, created_at);
CREATE INDEX ideas_by_sector ON ideas (sector, status);
CREATE INDEX ideas_by_user ON ideas (user_key);

-- Every status an idea went through, with the admin's message to the submitter (the first row,
-- 'received', has no admin).
CREATE TABLE idea_status_changes (
    id INTEGER PRIMARY KEY,
    idea_id INTEGER NOT NULL REFERENCES ideas(id) ON DELETE CASCADE,
    status TEXT NOT NULL
        CHECK (status IN ('received', 'under_review', 'shortlisted', 'accepted', 'declined')),
    message TEXT,
    changed_by TEXT REFERENCES users(key) ON DELETE SET NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX idea_status_changes_by_idea ON idea_status_changes (idea_id, id);
CREATE INDEX idea_status_changes_by_admin ON idea_status_changes (changed_by);

-- One unfinished idea per member: the answers so far, offered again when they come back.
CREATE TABLE idea_drafts (
    user_key TEXT PRIMARY KEY REFERENCES users(key) ON DELETE CASCADE,
    fields TEXT NOT NULL,                  -- JSON: the fields answered so far
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The skills profile (opt-in, one per member, erasable in Settings).
CREATE TABLE skills_profiles (
    user_key TEXT PRIMARY KEY REFERENCES users(key) ON DELETE CASCADE,
    profession TEXT NOT NULL,
    sector TEXT NOT NULL,                  -- the sector of expertise, one of the ideas' sectors
    years INTEGER NOT NULL CHECK (years BETWEEN 0 AND 70),
    languages TEXT NOT NULL,               -- ISO 639-1 codes separated by spaces: 'sq it en'
    mentor INTEGER NOT NULL DEFAULT 0 CHECK (mentor IN (0, 1)),
    volunteer INTEGER NOT NULL DEFAULT 0 CHECK (volunteer IN (0, 1)),
    invest INTEGER NOT NULL DEFAULT 0 CHECK (invest IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX skills_profiles_by_sector ON skills_profiles (sector);
