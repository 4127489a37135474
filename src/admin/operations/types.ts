/**
 * The service layer both the CLI and the HTTP server call. An operation is
 * data (a name and a zod input schema) plus `run`, which returns plain
 * JSON-able data, so the same call works in process and over HTTP.
 */
import type { z } from 'zod';
import type { Actor } from '../../core/lifecycle/index.js';
import type { Logger } from '../../core/logging/index.js';
import type { SecretKeyring } from '../../core/secrets/index.js';
import type { Store } from '../../core/store/index.js';

export interface OperationContext {
  store: Store;
  keyring: SecretKeyring;
  logger: Logger;
  actor: Actor;
  /** The sync lease's TTL (ROSTER_SYNC_LEASE_SECONDS); default 60 s. */
  syncLeaseMs?: number;
  /** Where a long operation reports progress (the CLI's terminal line), when someone watches. */
  progress?: (counts: Record<string, number>) => void;
}

export interface Operation<S extends z.ZodType = z.ZodType, R = unknown> {
  /** What the CLI sends to a running server's command endpoint (`connection.create`): a wire name, kept stable. */
  name: string;
  input: S;
  run(ctx: OperationContext, input: z.output<S>): Promise<R>;
}

export function defineOperation<S extends z.ZodType, R>(op: Operation<S, R>): Operation<S, R> {
  return op;
}

export function iso(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) return null;
  return date instanceof Date ? date.toISOString() : new Date(date).toISOString();
}
