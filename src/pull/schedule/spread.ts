/**
 * Where in its period a connection's tick is due. Five thousand connections
 * on `*\/15 * * * *` would otherwise all be due at :00, :15, :30 and :45 (a
 * thundering herd on the replicas, the database and the IdPs). Like Jenkins'
 * `H`, each connection is given a fixed offset from a hash of its id and
 * mode: the same connection is always due at the same point of its period,
 * and the connections spread evenly over it. The offset is taken within the
 * gap to the next tick, capped at `maxSpreadMs` (15 minutes by default), so a
 * daily `0 3 * * *` still runs between 03:00 and 03:15, and a tick is always
 * due before the next one.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_MAX_SPREAD_MS = 15 * 60_000;

/** A fixed fraction in [0, 1) for a connection and mode. */
export function spreadFraction(connectionId: string, mode: string): number {
  return createHash('sha256').update(`${connectionId}:${mode}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The due time of the tick at `nominal` whose next tick is at `next`:
 * nominal + fraction × min(next − nominal, maxSpreadMs), whole milliseconds.
 */
export function tickDueAt(connectionId: string, mode: string, nominal: Date, next: Date, maxSpreadMs = DEFAULT_MAX_SPREAD_MS): Date {
  const window = Math.max(0, Math.min(next.getTime() - nominal.getTime(), maxSpreadMs));
  return new Date(nominal.getTime() + Math.floor(spreadFraction(connectionId, mode) * window));
}
