-- Every pull connection gets a daily full reconcile by default: the safety
-- net for whatever a delta cannot see. Before this migration a NULL
-- full_schedule meant both "never set" (the old default) and "removed with
-- --no-full-schedule"; the two cannot be told apart, so every pull
-- connection without one gets the default (an operator who wants none opts
-- out again with `--no-full-schedule`; from now on NULL means exactly that).
-- The time is the one src/connections/full-schedule.ts computes: between
-- 02:00 and 04:59 UTC, at a minute taken from the connection's id.
WITH slots AS (
  SELECT id, ('x' || substr(replace(id::text, '-', ''), 1, 7))::bit(28)::int % 180 AS slot
  FROM connections
  WHERE kind IN ('entra', 'okta', 'google') AND full_schedule IS NULL
),
updated AS (
  UPDATE connections c
  SET full_schedule = (s.slot % 60)::text || ' ' || (2 + s.slot / 60)::text || ' * * *', updated_at = now()
  FROM slots s
  WHERE c.id = s.id
  RETURNING c.id, c.tenant_id, c.full_schedule
)
INSERT INTO audit_events (tenant_id, connection_id, action, entity_type, entity_id, actor_type, actor_id, reason, before, after)
SELECT tenant_id, id, 'connection.updated', 'connection', id::text, 'system', 'migration',
  'default daily full reconcile for pull connections', jsonb_build_object('fullSchedule', null), jsonb_build_object('fullSchedule', full_schedule)
FROM updated;
