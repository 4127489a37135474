ALTER TABLE "schedule_slots" ALTER COLUMN "owner" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "schedule_slots" ALTER COLUMN "claimed_at" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "schedule_slots" ALTER COLUMN "lease_expires_at" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "schedule_slots" ADD COLUMN "due_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "schedule_slots" ADD COLUMN "schedule" text;--> statement-breakpoint
CREATE INDEX "schedule_slots_due_idx" ON "schedule_slots" USING btree ("due_at") WHERE "schedule_slots"."completed_at" is null;--> statement-breakpoint
CREATE INDEX "schedule_slots_connection_open_idx" ON "schedule_slots" USING btree ("connection_id","due_at") WHERE "schedule_slots"."completed_at" is null;