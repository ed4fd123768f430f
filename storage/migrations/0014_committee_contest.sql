-- The review committee (评审会) and the beautification contest (issue 12).
-- Members hold roles(role 'committee', scope 0, position chair | vice_chair | member); the
-- history below keeps who joined, changed position or left, and when.
CREATE TABLE committee_history (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    event       TEXT NOT NULL CHECK (event IN ('joined', 'position', 'left')),
    position    TEXT,
    by_user     INTEGER,
    at          INTEGER NOT NULL
);
CREATE INDEX committee_history_user ON committee_history(user_id, at);

CREATE TABLE committee_requests (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    chat_id     INTEGER REFERENCES chats(chat_id) ON DELETE SET NULL ON UPDATE CASCADE,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'declined')),
    decided_by  INTEGER,
    decided_at  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX committee_requests_pending ON committee_requests(user_id) WHERE status = 'pending';

-- status: draft (being written) → ready (waiting for its window) → open (published, applications)
-- → scoring (window closed) → closed (results published). Times are UTC epoch seconds.
CREATE TABLE contests (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    name          TEXT NOT NULL,
    rules         TEXT NOT NULL DEFAULT '',
    opens_at      INTEGER,
    closes_at     INTEGER,
    scale_min     INTEGER NOT NULL DEFAULT 1,
    scale_max     INTEGER NOT NULL DEFAULT 10,
    tie_break     TEXT NOT NULL DEFAULT '[]',       -- JSON list of criterion positions
    conflict_rule TEXT NOT NULL DEFAULT '',
    appeal_days   INTEGER NOT NULL DEFAULT 3,
    tiers         TEXT NOT NULL DEFAULT '[]',       -- JSON [[name, count], …]; count 0: the rest
    status        TEXT NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'ready', 'open', 'scoring', 'closed')),
    step          TEXT,                             -- the wizard's next question while a draft
    created_by    INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    published_at  INTEGER,
    window_closed_at INTEGER,
    scoring_closed_at INTEGER,
    awarded_at    INTEGER
);
CREATE INDEX contests_due ON contests(status, opens_at, closes_at);

CREATE TABLE contest_criteria (
    id          INTEGER PRIMARY KEY,
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    weight      INTEGER NOT NULL CHECK (weight > 0 AND weight <= 100),
    UNIQUE (contest_id, position)
);

CREATE TABLE contest_applications (
    id           INTEGER PRIMARY KEY,
    contest_id   INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    courtyard_id INTEGER NOT NULL REFERENCES courtyards(id),
    chat_id      INTEGER NOT NULL REFERENCES chats(chat_id) ON UPDATE CASCADE,
    captain_id   INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    team         TEXT NOT NULL,
    plan         TEXT NOT NULL,
    budget       INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    approved_at  INTEGER,
    approved_by  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (contest_id, courtyard_id),
    UNIQUE (contest_id, number)
);

-- stage before | after; area: the caption (院坝, 墙面), which pairs an after-photo with its before-photo.
CREATE TABLE contest_photos (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES contest_applications(id) ON DELETE CASCADE,
    stage          TEXT NOT NULL CHECK (stage IN ('before', 'after')),
    file_id        TEXT NOT NULL,
    area           TEXT NOT NULL DEFAULT '',
    added_at       INTEGER NOT NULL
);
CREATE INDEX contest_photos_app ON contest_photos(application_id, stage, id);

-- A contest's scorers: scores point here, so /forget keeps them as "a former member" (user_id NULL).
CREATE TABLE contest_scorers (
    id          INTEGER PRIMARY KEY,
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    UNIQUE (contest_id, user_id)
);

-- kind: none (无利益关系), conflict (需要回避), auto (from the applying courtyard), chair (recused by
-- the chair), abstain. Every row but none keeps the member from scoring that entry.
CREATE TABLE contest_conflicts (
    application_id INTEGER NOT NULL REFERENCES contest_applications(id) ON DELETE CASCADE,
    scorer_id      INTEGER NOT NULL REFERENCES contest_scorers(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('none', 'conflict', 'auto', 'chair', 'abstain')),
    reason         TEXT NOT NULL DEFAULT '',
    at             INTEGER NOT NULL,
    PRIMARY KEY (application_id, scorer_id)
) WITHOUT ROWID;

CREATE TABLE contest_scores (
    application_id INTEGER NOT NULL REFERENCES contest_applications(id) ON DELETE CASCADE,
    criterion_id   INTEGER NOT NULL REFERENCES contest_criteria(id) ON DELETE CASCADE,
    scorer_id      INTEGER NOT NULL REFERENCES contest_scorers(id) ON DELETE CASCADE,
    score          INTEGER NOT NULL,
    first_at       INTEGER NOT NULL,
    changed_at     INTEGER NOT NULL,
    PRIMARY KEY (application_id, criterion_id, scorer_id)
) WITHOUT ROWID;

-- The audit: every score and every change, with its time.
CREATE TABLE contest_score_log (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES contest_applications(id) ON DELETE CASCADE,
    criterion_id   INTEGER NOT NULL REFERENCES contest_criteria(id) ON DELETE CASCADE,
    scorer_id      INTEGER NOT NULL REFERENCES contest_scorers(id) ON DELETE CASCADE,
    score          INTEGER NOT NULL,
    at             INTEGER NOT NULL
);
CREATE INDEX contest_score_log_app ON contest_score_log(application_id);

-- The results as computed when the chair closed scoring (never recomputed: /forget keeps them).
CREATE TABLE contest_results (
    application_id  INTEGER PRIMARY KEY REFERENCES contest_applications(id) ON DELETE CASCADE,
    raw             REAL,
    normalised      REAL,
    raw_rank        INTEGER NOT NULL,
    normalised_rank INTEGER NOT NULL,
    place           INTEGER NOT NULL,
    tied            INTEGER NOT NULL,
    scorers         INTEGER NOT NULL,
    recused         INTEGER NOT NULL,
    averages        TEXT NOT NULL                  -- JSON {criterion id: average}
);

CREATE TABLE contest_appeals (
    application_id INTEGER PRIMARY KEY REFERENCES contest_applications(id) ON DELETE CASCADE,
    user_id        INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    reason         TEXT NOT NULL,
    filed_at       INTEGER NOT NULL,
    answer         TEXT,
    answered_by    INTEGER REFERENCES users(user_id) ON DELETE SET NULL,
    answered_at    INTEGER
);

-- 验收: inspectors named by the chair; verdict pass | fail, signed with their name (users) and the time.
CREATE TABLE contest_inspections (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES contest_applications(id) ON DELETE CASCADE,
    user_id        INTEGER REFERENCES users(user_id) ON DELETE SET NULL,  -- NULL: a former member
    verdict        TEXT CHECK (verdict IN ('pass', 'fail')),
    note           TEXT NOT NULL DEFAULT '',
    named_at       INTEGER NOT NULL,
    signed_at      INTEGER,
    UNIQUE (application_id, user_id)
);

CREATE TABLE contest_awards (
    application_id INTEGER PRIMARY KEY REFERENCES contest_applications(id) ON DELETE CASCADE,
    tier           TEXT NOT NULL,
    position       INTEGER NOT NULL,
    awarded_at     INTEGER NOT NULL
);
