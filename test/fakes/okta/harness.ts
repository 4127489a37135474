/**
 * Small helpers to drive a provider against the fake (no test framework
 * imports: the reconciler's tests, the benchmark and `roster demo` can use them).
 */
import winston from 'winston';
import type { DirectoryEvent, DirectoryRun, ProviderContext } from '../../../src/pull/providers/types.js';
import type { FakeOkta } from './server.js';

export interface ContextOptions {
  settings?: Record<string, unknown>;
  secrets?: Record<string, unknown>;
  concurrency?: number;
  signal?: AbortSignal;
}

/** A ProviderContext for the fake org, authenticating with its default SSWS token. */
export function fakeOktaContext(fake: FakeOkta, options: ContextOptions = {}): ProviderContext {
  return {
    settings: { orgUrl: fake.url, retryDelayMs: 5, ...options.settings },
    secrets: options.secrets ?? { apiToken: 'test-token' },
    logger: winston.createLogger({ silent: true }),
    stats: { apiRequests: 0, throttled: 0 },
    concurrency: options.concurrency ?? 4,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

export interface Collected {
  pages: DirectoryEvent[][];
  events: DirectoryEvent[];
}

/** Reads a run to the end. */
export async function collect(run: DirectoryRun): Promise<Collected> {
  const pages: DirectoryEvent[][] = [];
  for await (const page of run.pages) pages.push(page);
  return { pages, events: pages.flat() };
}

/** Reads a run until it throws; returns what came before and the error. */
export async function collectUntilError(run: DirectoryRun): Promise<Collected & { error: unknown }> {
  const pages: DirectoryEvent[][] = [];
  try {
    for await (const page of run.pages) pages.push(page);
  } catch (error) {
    return { pages, events: pages.flat(), error };
  }
  return { pages, events: pages.flat(), error: null };
}

export const usersOf = (events: DirectoryEvent[]) => events.flatMap((e) => (e.type === 'user' ? [e.user] : []));
export const groupsOf = (events: DirectoryEvent[]) => events.flatMap((e) => (e.type === 'group' ? [e.group] : []));
export const membersOf = (events: DirectoryEvent[], groupId: string) =>
  events.flatMap((e) => (e.type === 'members' && e.groupExternalId === groupId ? [e] : []));
