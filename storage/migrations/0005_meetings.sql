-- Meetings: notices with RSVP, reminders (through the outbox), check-in, minutes and tasks.
CREATE TABLE meetings (
    id              INTEGER PRIMARY KEY,
    community_id    INTEGER NOT NULL REFERENCES communities(id),
    kind            TEXT NOT NULL
                    CHECK (kind IN ('briefing', 'courtyard', 'consultation', 'team', 'visit', 'award', 'other')),
    title           TEXT NOT NULL,
    place           TEXT NOT NULL DEFAULT '',
    agenda          TEXT NOT NULL DEFAULT '',
    starts_at       INTEGER NOT NULL,
    capacity        INTEGER,                          -- NULL: no limit; beyond it "yes" joins the waitlist
    target_all      INTEGER NOT NULL DEFAULT 0,       -- 1: every bound chat of the community
    offsets         TEXT NOT NULL DEFAULT '[]',       -- JSON list of reminder offsets in seconds
    only_undecided  INTEGER NOT NULL DEFAULT 0,       -- 1: reminders go only to those who have not answered
    checkin_code    TEXT NOT NULL,                    -- short code said at the meeting (unique near its date)
    status          TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    organiser_id    INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    origin_chat     INTEGER REFERENCES chats(chat_id) ON DELETE SET NULL ON UPDATE CASCADE,
    decisions       TEXT,                             -- minutes, written after the meeting
    minutes_at      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX meetings_start ON meetings(community_id, starts_at);
CREATE INDEX meetings_code ON meetings(checkin_code);

-- The chats a meeting's notice and reminders go to (moves with a supergroup migration).
CREATE TABLE meeting_chats (
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    chat_id     INTEGER NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (meeting_id, chat_id)
) WITHOUT ROWID;
CREATE INDEX meeting_chats_chat ON meeting_chats(chat_id);

-- One answer per person; seq orders the "yes" answers, so the first `capacity` of them are in
-- and the rest wait (derived on every read: promotion needs no stored flag).
CREATE TABLE meeting_rsvps (
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    answer      TEXT NOT NULL CHECK (answer IN ('yes', 'maybe', 'no')),
    seq         INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
) WITHOUT ROWID;

CREATE TABLE meeting_checkins (
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    via         TEXT NOT NULL CHECK (via IN ('code', 'link')),
    at          INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
) WITHOUT ROWID;

-- Tasks from the minutes; a forgotten owner leaves the task (and the minutes) intact.
CREATE TABLE meeting_tasks (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    owner_id    INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    due_at      INTEGER NOT NULL,
    done_at     INTEGER,
    created_by  INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX meeting_tasks_meeting ON meeting_tasks(meeting_id);
CREATE INDEX meeting_tasks_owner ON meeting_tasks(owner_id);
