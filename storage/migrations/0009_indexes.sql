-- Indexes found missing in review: every query below scanned its whole table.
-- Bound chats of a community (broadcast targets, meeting targets, notices): chats also holds
-- every resident's private chat, so without this a lookup read all of them.
CREATE INDEX chats_bound ON chats(community_id) WHERE scope != 'none';
-- A person's answers and check-ins (/me, /forget's cascade), and a meeting's yes-queue in order.
CREATE INDEX meeting_rsvps_user ON meeting_rsvps(user_id);
CREATE INDEX meeting_rsvps_queue ON meeting_rsvps(meeting_id, answer, seq);
CREATE INDEX meeting_checkins_user ON meeting_checkins(user_id);
