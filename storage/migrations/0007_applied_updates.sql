-- Update ids whose non-idempotent change (a toggle: a multiple-choice vote, a 附议 support) is
-- committed. Telegram delivers an update again when the bot died after handling it but before
-- confirming it; the toggle must then not flip back. Only the update id is kept (no person), for a day.
CREATE TABLE applied_updates (
    update_id   INTEGER PRIMARY KEY,
    applied_at  INTEGER NOT NULL
);
CREATE INDEX applied_updates_age ON applied_updates(applied_at);
