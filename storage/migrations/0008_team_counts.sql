-- How many people each team has in each state, kept by triggers. The capacity check and a new
-- sign-up's place in the queue then read one row instead of counting the queue, which for a long
-- waitlist is a scan per press. Triggers also see ON DELETE CASCADE (a /forget, a deleted team).
CREATE TABLE team_counts (
    team_id  INTEGER NOT NULL,
    status   TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (team_id, status)
) WITHOUT ROWID;

INSERT INTO team_counts(team_id, status, n)
    SELECT team_id, status, COUNT(*) FROM team_members GROUP BY team_id, status;

CREATE TRIGGER team_counts_insert AFTER INSERT ON team_members BEGIN
    INSERT INTO team_counts(team_id, status, n) VALUES (NEW.team_id, NEW.status, 1)
        ON CONFLICT(team_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER team_counts_delete AFTER DELETE ON team_members BEGIN
    UPDATE team_counts SET n = n - 1 WHERE team_id = OLD.team_id AND status = OLD.status;
END;

CREATE TRIGGER team_counts_update AFTER UPDATE OF team_id, status ON team_members
WHEN OLD.team_id IS NOT NEW.team_id OR OLD.status IS NOT NEW.status BEGIN
    UPDATE team_counts SET n = n - 1 WHERE team_id = OLD.team_id AND status = OLD.status;
    INSERT INTO team_counts(team_id, status, n) VALUES (NEW.team_id, NEW.status, 1)
        ON CONFLICT(team_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER team_counts_team_gone AFTER DELETE ON teams BEGIN
    DELETE FROM team_counts WHERE team_id = OLD.id;
END;
