-- SCIM token lookups are cached in each Roster process; every change that can
-- end a token's access (revoked, expired, deleted, its connection disabled,
-- switched off push, deleted) tells every process at commit, so a revocation
-- reaches the next request on every replica. Recording last use does not.
CREATE OR REPLACE FUNCTION roster_notify_scim_auth() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'connections' THEN
    PERFORM pg_notify('roster_scim_auth', OLD.id::text);
  ELSE
    PERFORM pg_notify('roster_scim_auth', OLD.connection_id::text);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER scim_tokens_notify_auth
  AFTER UPDATE ON scim_tokens
  FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
     OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
     OR OLD.token_hash IS DISTINCT FROM NEW.token_hash
     OR OLD.connection_id IS DISTINCT FROM NEW.connection_id)
  EXECUTE FUNCTION roster_notify_scim_auth();
--> statement-breakpoint
CREATE TRIGGER scim_tokens_notify_auth_delete
  AFTER DELETE ON scim_tokens
  FOR EACH ROW EXECUTE FUNCTION roster_notify_scim_auth();
--> statement-breakpoint
CREATE TRIGGER connections_notify_scim_auth
  AFTER UPDATE OR DELETE ON connections
  FOR EACH ROW EXECUTE FUNCTION roster_notify_scim_auth();
