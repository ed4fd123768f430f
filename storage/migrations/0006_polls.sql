-- Theme proposals (主题提案) with supports (附议) and official answers, and polls (投票).
-- scope_id is the courtyard id, or 0 for a community-wide chat: proposals and polls belong
-- to the courtyard, not to one chat, so a re-bound or migrated group keeps them.

CREATE TABLE proposal_counters (
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    scope_id      INTEGER NOT NULL,
    last_number   INTEGER NOT NULL,
    PRIMARY KEY (community_id, scope_id)
) WITHOUT ROWID;

CREATE TABLE proposals (
    id             INTEGER PRIMARY KEY,
    community_id   INTEGER NOT NULL REFERENCES communities(id),
    scope_id       INTEGER NOT NULL,
    number         INTEGER NOT NULL,         -- shown as #N; a counter, so a forgotten number is never reused
    chat_id        INTEGER NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    proposer_id    INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    norm_title     TEXT NOT NULL,            -- letters and digits only, for the duplicate check
    photo_file_id  TEXT,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected', 'studying')),
    answer_reason  TEXT,
    -- The person who answered is not the owner of the proposal: forgetting them keeps the answer.
    answered_by    INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    answered_at    INTEGER,
    created_at     INTEGER NOT NULL,
    UNIQUE (community_id, scope_id, number)
);
CREATE INDEX proposals_proposer ON proposals(proposer_id);

CREATE TABLE proposal_supports (
    proposal_id  INTEGER NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, user_id)
) WITHOUT ROWID;
CREATE INDEX proposal_supports_user ON proposal_supports(user_id);

CREATE TABLE polls (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    scope_id      INTEGER NOT NULL,
    chat_id       INTEGER NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    -- A poll belongs to the courtyard: its creator forgetting themselves must not erase everyone's votes.
    creator_id    INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    question      TEXT NOT NULL,
    max_choices   INTEGER NOT NULL DEFAULT 1 CHECK (max_choices >= 1),  -- 1: single choice
    anonymous     INTEGER NOT NULL DEFAULT 0,
    electorate    TEXT NOT NULL DEFAULT 'all' CHECK (electorate IN ('all', 'committee')),
    quorum        INTEGER,                  -- voters needed for the result to count; NULL: none
    closes_at     INTEGER,                  -- the deadline lives here, so a restart cannot lose it
    remind_before INTEGER,                  -- seconds before closes_at for the automatic reminder
    remind_at     INTEGER,
    reminded_at   INTEGER,                  -- set when the automatic reminder was queued: never twice
    nudged_at     INTEGER,                  -- last manual "remind those who have not voted"
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at     INTEGER,
    closed_by     INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    outcome       TEXT,                     -- Loomio-style outcome statement, kept with the poll
    outcome_by    INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    outcome_at    INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX polls_open_due ON polls(status, closes_at);
CREATE INDEX polls_chat ON polls(chat_id, status);

CREATE TABLE poll_options (
    poll_id      INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,          -- 1..n: what the vote buttons carry
    label        TEXT NOT NULL,
    proposal_id  INTEGER REFERENCES proposals(id) ON DELETE SET NULL,
    PRIMARY KEY (poll_id, position)
) WITHOUT ROWID;

-- One ballot per person and poll: the primary key is the double-vote guard.
-- voter_key is an HMAC of (poll, person) under a key derived from the bot token, so the bot can
-- find a person's ballot (to change it, or to remind non-voters) while the stored rows of an
-- anonymous poll hold no user id. user_id is filled only in public polls (names are shown there).
-- /forget: ballots of open polls are deleted; those of closed polls get a random key and no
-- user id, so a closed poll's counts never change.
CREATE TABLE poll_ballots (
    poll_id    INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    voter_key  TEXT NOT NULL,
    user_id    INTEGER REFERENCES users(user_id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,            -- update id of the latest press: an earlier press handled late loses
    cast_at    INTEGER NOT NULL,
    PRIMARY KEY (poll_id, voter_key)
) WITHOUT ROWID;
CREATE INDEX poll_ballots_user ON poll_ballots(user_id) WHERE user_id IS NOT NULL;
-- Public polls: one ballot per person even if the key's secret (the token) ever changed.
CREATE UNIQUE INDEX poll_ballots_one_each ON poll_ballots(poll_id, user_id) WHERE user_id IS NOT NULL;

CREATE TABLE poll_choices (
    poll_id    INTEGER NOT NULL,
    voter_key  TEXT NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (poll_id, voter_key, position),
    FOREIGN KEY (poll_id, voter_key) REFERENCES poll_ballots(poll_id, voter_key) ON DELETE CASCADE ON UPDATE CASCADE,
    FOREIGN KEY (poll_id, position) REFERENCES poll_options(poll_id, position) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX poll_choices_tally ON poll_choices(poll_id, position);
