/**
 * The periodic full reconcile every pull connection gets unless it opts out
 * (DESIGN.md: the safety net for whatever a delta cannot see). Daily, between
 * 02:00 and 04:59 UTC, at a minute taken from the connection's id, so that a
 * deployment's connections do not all list their directories at once.
 * Deterministic: the same id always gives the same time (migration 0010
 * computes the very same expression in SQL for connections made before).
 */
export function defaultFullSchedule(connectionId: string): string {
  // The first 7 hex digits of the uuid (28 bits: a positive int in SQL too).
  const slot = parseInt(connectionId.replace(/-/g, '').slice(0, 7), 16) % 180;
  return `${slot % 60} ${2 + Math.floor(slot / 60)} * * *`;
}
