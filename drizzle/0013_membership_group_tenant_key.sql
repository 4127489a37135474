ALTER TABLE "groups" ADD CONSTRAINT "groups_id_tenant_uq" UNIQUE("id","tenant_id");--> statement-breakpoint
ALTER TABLE "group_memberships" DROP CONSTRAINT "group_memberships_group_id_groups_id_fk";
--> statement-breakpoint
ALTER TABLE "group_memberships" DROP CONSTRAINT "group_memberships_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_group_tenant_fk" FOREIGN KEY ("group_id","tenant_id") REFERENCES "public"."groups"("id","tenant_id") ON DELETE cascade ON UPDATE no action;
