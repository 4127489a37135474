CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"scope" text NOT NULL,
	"tenant_id" uuid,
	"key_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "sync_interval_seconds" integer;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "scim_push_window_seconds" integer;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- The event feed's ordering guarantee (src/events/feed.ts). A transaction gets its
-- xid at its first row write, which comes after the identity default has drawn the
-- row's id; this BEFORE STATEMENT trigger runs before any id is drawn and assigns
-- the xid first. So whoever drew an id had an xid before that moment, and a reader
-- that takes a fresh xid N and then sees pg_snapshot_xmin >= N knows every id drawn
-- before N is committed or gone for good. Once per statement: no per-row cost.
CREATE OR REPLACE FUNCTION roster_audit_events_xid_first() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_xid_first
  BEFORE INSERT ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION roster_audit_events_xid_first();
