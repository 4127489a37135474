-- Users and groups are updated in place all the time (deactivation, a SCIM
-- PATCH, every membership change touches its group's updated_at). None of
-- those columns is indexed, so Postgres can update the row on its own page
-- without touching any index (a HOT update) if the page has room: leave 10%.
ALTER TABLE "users" SET (fillfactor = 90);
--> statement-breakpoint
ALTER TABLE "groups" SET (fillfactor = 90);
