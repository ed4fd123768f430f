-- Notes owed to people are outbox rows now, written in the transaction of their cause (kinds
-- team_note, team_request, proposal_note; bot/services/notes.py). The team_members.notice column
-- and the handler that drained it after the commit go; a notice still owed moves to the outbox
-- first, to the person's private chat if they opened one, else to the team's group (a mention).
INSERT INTO outbox(kind, ref_id, chat_id, due_at, payload, dedupe_key, created_at)
SELECT 'team_note', m.team_id,
       CASE WHEN u.private_chat = 1 THEN m.user_id ELSE t.home_chat_id END,
       m.changed_at,
       json_object('what', m.notice, 'team', m.team_id, 'seq', m.seq, 'status', m.status,
                   'user', m.user_id, 'group', t.home_chat_id),
       'team:' || m.notice || ':' || m.seq, m.changed_at
FROM team_members m JOIN teams t ON t.id = m.team_id JOIN users u ON u.user_id = m.user_id
WHERE m.notice IN ('promoted', 'approved', 'declined', 'removed')
  AND (u.private_chat = 1 OR t.home_chat_id IS NOT NULL);

INSERT INTO outbox(kind, ref_id, chat_id, due_at, payload, dedupe_key, created_at)
SELECT 'team_request', m.team_id,
       CASE WHEN c.private_chat = 1 THEN c.user_id ELSE t.home_chat_id END,
       m.changed_at,
       json_object('what', 'requested', 'team', m.team_id, 'seq', m.seq, 'status', m.status,
                   'user', t.captain_id, 'group', t.home_chat_id),
       'team:requested:' || m.seq, m.changed_at
FROM team_members m JOIN teams t ON t.id = m.team_id LEFT JOIN users c ON c.user_id = t.captain_id
WHERE m.notice = 'requested' AND (c.private_chat = 1 OR t.home_chat_id IS NOT NULL);

DROP INDEX team_members_notice;
ALTER TABLE team_members DROP COLUMN notice;
