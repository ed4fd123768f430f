-- Foundation: communities, courtyards, chats, people, roles, dialogs.
-- Times are INTEGER seconds since the epoch, UTC.
-- Every table that stores a chat id REFERENCES chats(chat_id) ON UPDATE CASCADE, so a
-- group that becomes a supergroup moves with one UPDATE of chats.chat_id.
-- Every table that stores a person REFERENCES users(user_id) ON DELETE CASCADE, so
-- /forget is one DELETE of the users row (plus the hooks that features register).

CREATE TABLE communities (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE courtyards (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    name          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (community_id, name)
);

CREATE TABLE chats (
    chat_id       INTEGER PRIMARY KEY,
    type          TEXT NOT NULL,                      -- private | group | supergroup | channel
    title         TEXT NOT NULL DEFAULT '',
    community_id  INTEGER REFERENCES communities(id),
    courtyard_id  INTEGER REFERENCES courtyards(id) ON DELETE SET NULL,
    scope         TEXT NOT NULL DEFAULT 'none' CHECK (scope IN ('none', 'courtyard', 'community')),
    locale        TEXT,                               -- NULL: the community default
    active        INTEGER NOT NULL DEFAULT 1,         -- 0: bot removed / blocked
    member_count  INTEGER,
    added_at      INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX chats_courtyard ON chats(courtyard_id);

CREATE TABLE users (
    user_id       INTEGER PRIMARY KEY,
    display_name  TEXT NOT NULL,
    locale        TEXT,                               -- chosen with /lang; NULL: from language_code
    language_code TEXT,
    private_chat  INTEGER NOT NULL DEFAULT 0,         -- 1: has opened a private chat with the bot
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL
);

CREATE TABLE chat_members (
    chat_id     INTEGER NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;
CREATE INDEX chat_members_user ON chat_members(user_id);

-- role: social_worker (scope_id 0), backbone (scope_id = courtyard id),
-- committee (scope_id = committee/contest id, position = chair | vice_chair | member).
CREATE TABLE roles (
    user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('social_worker', 'backbone', 'committee')),
    scope_id    INTEGER NOT NULL DEFAULT 0,
    position    TEXT,
    granted_by  INTEGER,
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, role, scope_id)
) WITHOUT ROWID;

-- A multi-step conversation waiting for a person's next message; survives restarts.
CREATE TABLE dialogs (
    user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    chat_id     INTEGER NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,                        -- JSON
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, chat_id)
) WITHOUT ROWID;
