-- Wrong check-in codes, one row per try, counted in the same transaction as the check: concurrent
-- guesses cannot slip past the limit, and a restart does not reset it. Only the last window's rows
-- of a person are kept (older ones go when they guess again); /forget takes them with the person.
CREATE TABLE checkin_attempts (
    user_id  INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    at       INTEGER NOT NULL
);
CREATE INDEX checkin_attempts_user ON checkin_attempts(user_id, at);
