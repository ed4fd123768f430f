-- Wrong check-in codes, one row per try, counted in the same transaction as the check: concurrent
-- guesses cannot slip past the limit, and a restart does not reset it. Only the last window's rows
-- of a person are kept (older ones go when they guess again); /forget takes them with the person.
CREATE TABLE checkin_attempts (
    user_id  INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    at       INTEGER NOT NULL
);
CREATE INDEX checkin_attempts_user ON checkin_attempts(user_id, at);

-- The update id of the last press (or command) that a person's sign-up or answer obeyed. Telegram
-- numbers updates in the order they were made, but concurrent handling may apply them in another
-- order: a press with a lower id than the one recorded was made earlier and is answered, not applied
-- (single-choice votes do the same with poll_ballots.seq). Teams keep it in a table of its own,
-- because a 取消报名 tapped before any sign-up must also be remembered, and it has no team_members row.
CREATE TABLE team_presses (
    team_id    INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    update_id  INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;

ALTER TABLE meeting_rsvps ADD COLUMN pressed INTEGER NOT NULL DEFAULT 0;
