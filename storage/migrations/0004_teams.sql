-- Teams (队伍) per courtyard and their sign-ups (接龙), with history.
-- A team outlives its creator, its captain and the chat it was made in, so those columns are
-- SET NULL rather than CASCADE: /forget then removes the person from the row without deleting
-- everyone else's sign-up history. home_chat_id still follows a group that becomes a supergroup.
CREATE TABLE teams (
    id            INTEGER PRIMARY KEY,
    courtyard_id  INTEGER NOT NULL REFERENCES courtyards(id) ON DELETE CASCADE,
    home_chat_id  INTEGER REFERENCES chats(chat_id) ON DELETE SET NULL ON UPDATE CASCADE,
    name          TEXT NOT NULL,
    purpose       TEXT NOT NULL DEFAULT '',
    capacity      INTEGER CHECK (capacity IS NULL OR capacity > 0),   -- NULL: no limit
    deadline      INTEGER,                                            -- sign-up closes after this moment
    approval      INTEGER NOT NULL DEFAULT 0,                         -- 1: the captain approves joins
    open          INTEGER NOT NULL DEFAULT 1,                         -- 0: sign-up closed by hand
    captain_id    INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    created_by    INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (courtyard_id, name)
);

-- Every change of a person's state in a team, for participation statistics. The id is
-- AUTOINCREMENT so it is never reused: it is the "press order" of a request and the
-- number carried by approval buttons, which must never point at a later request.
CREATE TABLE team_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    status   TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX team_events_team ON team_events(team_id, at);
CREATE INDEX team_events_user ON team_events(user_id);

-- One row per (team, person): the current state. Leaving is a state, not a delete.
CREATE TABLE team_members (
    team_id       INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    status        TEXT NOT NULL
                  CHECK (status IN ('member', 'waitlist', 'pending', 'left', 'removed', 'declined')),
    seq           INTEGER NOT NULL UNIQUE,   -- team_events.id of the latest request: queue order
    requested_at  INTEGER NOT NULL,
    joined_at     INTEGER,                   -- when they last became a member
    changed_at    INTEGER NOT NULL,
    notice        TEXT,                      -- a message owed to someone, sent after the commit
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
CREATE INDEX team_members_user ON team_members(user_id);
CREATE INDEX team_members_queue ON team_members(team_id, status, seq);
CREATE INDEX team_members_notice ON team_members(notice) WHERE notice IS NOT NULL;
