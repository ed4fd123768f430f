-- Every update Telegram delivered, written before Telegram is told it was received (the next
-- getUpdates offset, or HTTP 200 to a webhook POST). The bot handles updates from here: a process
-- killed before a handler committed replays the row at start-up, and the primary key makes a
-- redelivered update a no-op. `body` is the update sealed with a key derived from the bot token
-- (it names who pressed what, also on anonymous polls), erased once the update is done; done rows
-- keep only their id and times, for a day, so a late redelivery is still recognised.
CREATE TABLE update_journal (
    update_id    INTEGER PRIMARY KEY,
    body         BLOB,
    received_at  INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    done_at      INTEGER
);
CREATE INDEX update_journal_pending ON update_journal(update_id) WHERE done_at IS NULL;
CREATE INDEX update_journal_age ON update_journal(received_at);
