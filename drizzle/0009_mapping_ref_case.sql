-- Mappings by display name match case-insensitively, so "Engineering" and
-- "engineering" are one mapping: the unique key now compares them the same
-- way. Duplicates made before (they mapped the same groups to the same role)
-- are merged into the oldest, with an audit event for each one removed.
WITH ranked AS (
  SELECT m.*, first_value(m.id) OVER w AS kept, row_number() OVER w AS n
  FROM group_role_mappings m
  WINDOW w AS (
    PARTITION BY m.tenant_id, coalesce(m.connection_id, '00000000-0000-0000-0000-000000000000'::uuid), m.match_by,
      (case when m.match_by = 'display_name' then lower(m.group_ref) else m.group_ref end), m.role_id
    ORDER BY m.created_at, m.id)
),
removed AS (
  DELETE FROM group_role_mappings m USING ranked r WHERE m.id = r.id AND r.n > 1
  RETURNING m.*, r.kept
)
INSERT INTO audit_events (tenant_id, connection_id, action, entity_type, entity_id, actor_type, actor_id, reason, before, after)
SELECT tenant_id, connection_id, 'mapping.removed', 'mapping', id::text, 'system', 'migration',
  'duplicate of mapping ' || kept || ' (display names compare case-insensitively)', to_jsonb(removed) - 'kept', null
FROM removed;
--> statement-breakpoint
ALTER TABLE "group_role_mappings" DROP CONSTRAINT "group_role_mappings_uq";--> statement-breakpoint
CREATE UNIQUE INDEX "group_role_mappings_uq" ON "group_role_mappings" USING btree ("tenant_id",coalesce("connection_id", '00000000-0000-0000-0000-000000000000'::uuid),"match_by",(case when "match_by" = 'display_name' then lower("group_ref") else "group_ref" end),"role_id");
