-- NOTIFY roster_events from outside the writing transactions.
--
-- A transaction that NOTIFYs holds a database-wide lock from the start of its
-- commit until its commit record is flushed to disk, so the statement trigger
-- that notified in every writing transaction (0007) made all of Roster's
-- commits wait for each other's flushes: a third of the SCIM writes per second
-- it could otherwise do. Instead, every Roster server calls
-- roster_announce_events() about ten times a second. One call at a time (an
-- advisory lock) finds the tenants with events not yet announced and notifies
-- each once, with {"tenantId", "lastId"} as before, in a transaction that does
-- not wait for its own flush (a lost announcement costs a listener one poll,
-- never an event: the feed is the record).
--
-- Transactions commit out of id order (see src/events/feed.ts), so the scan
-- starts at `floor`, below which every id is settled: the last poll noted the
-- largest id it saw (mark_id) and the snapshot's xmax then (mark_xmax); once
-- every transaction older than mark_xmax has ended, no id up to mark_id can
-- still appear, and floor moves up to it. `announced` holds, per tenant, the
-- last id announced above floor, so a late event below an id already
-- announced is not announced again: a listener reading the feed up to that id
-- gets it anyway.
DROP TRIGGER IF EXISTS audit_events_notify ON audit_events;
--> statement-breakpoint
DROP FUNCTION IF EXISTS roster_notify_events();
--> statement-breakpoint
CREATE TABLE event_announcer (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  floor bigint NOT NULL,
  mark_id bigint NOT NULL,
  mark_xmax xid8 NOT NULL,
  announced jsonb NOT NULL DEFAULT '{}'::jsonb
);
--> statement-breakpoint
INSERT INTO event_announcer (floor, mark_id, mark_xmax)
  SELECT coalesce(max(id), 0), coalesce(max(id), 0), pg_snapshot_xmax(pg_current_snapshot()) FROM audit_events;
--> statement-breakpoint
CREATE FUNCTION roster_announce_events() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  st event_announcer%ROWTYPE;
  settled boolean;
  new_floor bigint;
  top bigint;
  ann jsonb;
  sent integer := 0;
  r record;
BEGIN
  IF NOT pg_try_advisory_xact_lock(727002) THEN
    RETURN 0; -- another server is announcing right now
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);
  SELECT * INTO st FROM event_announcer WHERE id = 1;
  -- Checked before the scan, so every transaction it counts as ended is visible to the scan.
  settled := pg_snapshot_xmin(pg_current_snapshot()) >= st.mark_xmax;
  ann := st.announced;
  top := st.floor;
  FOR r IN SELECT tenant_id, max(id) AS last_id FROM audit_events WHERE id > st.floor GROUP BY tenant_id LOOP
    top := greatest(top, r.last_id);
    IF r.last_id > coalesce((ann ->> r.tenant_id::text)::bigint, st.floor) THEN
      PERFORM pg_notify('roster_events', json_build_object('tenantId', r.tenant_id, 'lastId', r.last_id)::text);
      ann := ann || jsonb_build_object(r.tenant_id::text, r.last_id);
      sent := sent + 1;
    END IF;
  END LOOP;
  IF NOT settled THEN
    IF sent > 0 THEN
      UPDATE event_announcer SET announced = ann WHERE id = 1;
    END IF;
    RETURN sent;
  END IF;
  new_floor := st.mark_id;
  IF sent = 0 AND new_floor = st.floor AND top = st.mark_id THEN
    RETURN 0; -- idle: nothing to write
  END IF;
  SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb) INTO ann FROM jsonb_each(ann) WHERE value::bigint > new_floor;
  -- The xmax is taken after the scan: every id it saw was drawn by an older transaction.
  UPDATE event_announcer
    SET floor = new_floor, mark_id = top, mark_xmax = pg_snapshot_xmax(pg_current_snapshot()), announced = ann
    WHERE id = 1;
  RETURN sent;
END;
$$;
