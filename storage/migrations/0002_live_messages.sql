-- Messages the bot keeps up to date in place (team rosters, poll tallies, meeting RSVP counts).
CREATE TABLE live_messages (
    chat_id     INTEGER NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    message_id  INTEGER NOT NULL,
    kind        TEXT NOT NULL,            -- "roster" | "poll" | "meeting" …: which renderer draws it
    entity_id   INTEGER NOT NULL,         -- the team / poll / meeting id
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (chat_id, message_id)
) WITHOUT ROWID;
CREATE INDEX live_messages_entity ON live_messages(kind, entity_id);
