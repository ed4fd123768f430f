-- The durable outbox: every scheduled or bulk message (reminders, broadcasts, meeting notices)
-- is a row here first; one dispatcher sends what is due within Telegram's limits.
-- status: pending -> sending -> sent | failed | skipped | unknown | cancelled.
-- "sending" rows found at start-up were interrupted mid-send (the ambiguous case): each kind
-- declares whether they are sent again or marked unknown (see ARCHITECTURE.md).
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,            -- which renderer draws it: "broadcast", "reminder", …
    ref_id      INTEGER,                  -- the entity the renderer loads (broadcast id, reminder id, …)
    chat_id     INTEGER NOT NULL,         -- moved by ChatsRepository.migrate on a supergroup upgrade
    due_at      INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'unknown', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    payload     TEXT NOT NULL DEFAULT '{}',   -- JSON for the renderer
    dedupe_key  TEXT UNIQUE,              -- scheduling the same thing twice is a no-op
    error       TEXT,
    message_id  INTEGER,
    sent_at     INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox(status, due_at) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_ref ON outbox(kind, ref_id);

-- /broadcast: one notice to many courtyard chats.
CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY,
    sender_id     INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    report_chat   INTEGER NOT NULL,       -- where the delivery report goes (the sender's chat)
    text          TEXT NOT NULL,
    target_count  INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    reported_at   INTEGER
);

-- /remind: free reminders for any chat, one-off or recurring.
CREATE TABLE reminders (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    creator_id  INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    text        TEXT NOT NULL,
    next_at     INTEGER,                  -- NULL once a one-off reminder was sent or it was cancelled
    recurrence  TEXT,                     -- JSON of bot.timeparse.Recurrence, NULL for one-off
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);
CREATE INDEX reminders_chat ON reminders(chat_id, active);
