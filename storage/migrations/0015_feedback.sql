-- The feedback inbox (集中反馈, issue 13): numbered items per community, followers (反映同一件事),
-- a status history (every change writes a note naming who is responsible), merges that keep links.
-- A reporter forgotten with /forget: items nobody follows are deleted (forget hook), the others
-- keep their followers and lose the reporter (reporter_id SET NULL).
CREATE TABLE feedback_counters (
    community_id  INTEGER PRIMARY KEY REFERENCES communities(id),
    last_number   INTEGER NOT NULL
);

CREATE TABLE feedback (
    id               INTEGER PRIMARY KEY,
    community_id     INTEGER NOT NULL REFERENCES communities(id),
    courtyard_id     INTEGER NOT NULL REFERENCES courtyards(id),
    number           INTEGER NOT NULL,
    group_chat_id    INTEGER REFERENCES chats(chat_id) ON DELETE SET NULL ON UPDATE CASCADE,
    reporter_id      INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    recorded_by      INTEGER REFERENCES users(user_id) ON DELETE SET NULL,  -- 代登记: the social worker
    recorded_name    TEXT,                                                   -- 代登记: the typed name
    category         TEXT NOT NULL,
    body             TEXT NOT NULL,
    norm_body        TEXT NOT NULL,
    photo_file_id    TEXT,
    anonymous        INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'acknowledged', 'in_progress', 'resolved', 'declined', 'merged')),
    assignee_id      INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    merged_into      INTEGER REFERENCES feedback(id) ON DELETE SET NULL,
    due_at           INTEGER NOT NULL,             -- the target time of its category
    created_at       INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    resolved_at      INTEGER,
    reopened         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (community_id, number)
);
-- /inbox: counts by status and the first page (open items, overdue first) per community or courtyard.
CREATE INDEX feedback_inbox ON feedback(community_id, status, due_at);
CREATE INDEX feedback_courtyard ON feedback(courtyard_id, status, due_at);
CREATE INDEX feedback_reporter ON feedback(reporter_id);
CREATE INDEX feedback_assignee ON feedback(assignee_id, status);

CREATE TABLE feedback_followers (
    feedback_id  INTEGER NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (feedback_id, user_id)
) WITHOUT ROWID;
CREATE INDEX feedback_followers_user ON feedback_followers(user_id);

CREATE TABLE feedback_notes (
    id           INTEGER PRIMARY KEY,
    feedback_id  INTEGER NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
    actor_id     INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    what         TEXT NOT NULL,        -- new | acknowledged | in_progress | resolved | declined | reply | merged | reopened | followed
    status       TEXT NOT NULL,        -- the status after the change
    body         TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX feedback_notes_item ON feedback_notes(feedback_id, id);
