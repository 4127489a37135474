CREATE TABLE "change_outcomes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "change_outcomes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid,
	"run_id" uuid,
	"request_id" text,
	"source" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text,
	"external_id" text,
	"user_name" text,
	"outcome" text NOT NULL,
	"reason" text NOT NULL,
	"detail" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "request_id" text;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "skipped" jsonb;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "custom_attributes" jsonb;--> statement-breakpoint
CREATE INDEX "change_outcomes_run_idx" ON "change_outcomes" USING btree ("run_id","id") WHERE "change_outcomes"."run_id" is not null;--> statement-breakpoint
CREATE INDEX "change_outcomes_tenant_entity_idx" ON "change_outcomes" USING btree ("tenant_id","entity_id");--> statement-breakpoint
CREATE INDEX "change_outcomes_tenant_id_idx" ON "change_outcomes" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_run_idx" ON "audit_events" USING btree ("run_id","id") WHERE "audit_events"."run_id" is not null;--> statement-breakpoint
-- Like audit_events, the provisioning log's outcomes are history: nothing may rewrite them.
CREATE TRIGGER change_outcomes_append_only
  BEFORE UPDATE OR DELETE ON change_outcomes
  FOR EACH ROW EXECUTE FUNCTION roster_audit_events_append_only();
--> statement-breakpoint
CREATE TRIGGER change_outcomes_no_truncate
  BEFORE TRUNCATE ON change_outcomes
  FOR EACH STATEMENT EXECUTE FUNCTION roster_audit_events_append_only();
