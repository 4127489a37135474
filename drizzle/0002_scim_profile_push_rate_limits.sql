CREATE TABLE "rate_limit_buckets" (
	"key" text PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"allowed" boolean DEFAULT true NOT NULL,
	"refreshed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "users_connection_external_id_uq";--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "push_enabled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "scim_rate_per_minute" integer;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "scim_burst" integer;--> statement-breakpoint
ALTER TABLE "groups" ADD COLUMN "profile" jsonb;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "profile" jsonb;--> statement-breakpoint
CREATE INDEX "users_connection_external_id_idx" ON "users" USING btree ("connection_id","external_id") WHERE "users"."external_id" is not null;