-- Anonymous ballots must not be attributable from the database file. Older versions stored people's
-- first and last sightings to the second (written by the same press as a ballot) and an anonymous
-- ballot's exact time and update id: round the sightings down to the day, and give those ballots the
-- poll's creation time and no update id. New rows are written this way (storage/users.py, PollService).
UPDATE users SET first_seen = first_seen - first_seen % 86400, last_seen = last_seen - last_seen % 86400
WHERE first_seen % 86400 != 0 OR last_seen % 86400 != 0;
UPDATE chat_members SET first_seen = first_seen - first_seen % 86400, last_seen = last_seen - last_seen % 86400
WHERE first_seen % 86400 != 0 OR last_seen % 86400 != 0;
UPDATE poll_ballots SET seq = 0, cast_at = (SELECT p.created_at FROM polls p WHERE p.id = poll_ballots.poll_id)
WHERE seq >= 0 AND poll_id IN (SELECT id FROM polls WHERE anonymous = 1);
