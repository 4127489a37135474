ALTER TABLE "group_role_mappings" ADD COLUMN "tenant_wide" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Mappings made before a mapping had to name its scope matched every connection's groups:
-- they become explicit tenant-wide rows (same behaviour, now visible as such).
UPDATE "group_role_mappings" SET "tenant_wide" = true WHERE "connection_id" IS NULL;--> statement-breakpoint
ALTER TABLE "group_role_mappings" ADD CONSTRAINT "group_role_mappings_scope_ck" CHECK (("group_role_mappings"."tenant_wide" and "group_role_mappings"."connection_id" is null) or (not "group_role_mappings"."tenant_wide" and "group_role_mappings"."connection_id" is not null));
