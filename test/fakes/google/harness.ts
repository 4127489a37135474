/**
 * Wiring a Google provider to a fake, for tests, the benchmark and the demo
 * (no vitest imports). Retries are fast by default so failure tests take ms.
 */
import { silentLogger } from '../../../src/core/logging/index.js';
import { createGoogleProvider } from '../../../src/pull/providers/google/index.js';
import type { DirectoryEvent, DirectoryProvider, DirectoryRun, ProviderStats } from '../../../src/pull/providers/types.js';
import type { FakeGoogleServer } from './server.js';
import type { ServiceAccountKey } from './token.js';

export interface FakeConnection {
  provider: DirectoryProvider;
  stats: ProviderStats;
  key: ServiceAccountKey;
}

/** A provider acting as `subject` (default: a new admin user added to the directory). */
export function connectToFake(
  fake: FakeGoogleServer,
  options: { settings?: Record<string, unknown>; key?: ServiceAccountKey; concurrency?: number; signal?: AbortSignal; sourceAttributes?: string[] } = {},
): FakeConnection {
  const subject = (options.settings?.subject as string | undefined) ?? adminOf(fake);
  const key = options.key ?? fake.createServiceAccount();
  const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
  const provider = createGoogleProvider({
    settings: { subject, rootUrl: fake.rootUrl, tokenUrl: fake.tokenUrl, retryBaseDelayMs: 5, maxRetryDelayMs: 50, ...options.settings },
    secrets: { serviceAccountKey: key },
    logger: silentLogger(),
    stats,
    concurrency: options.concurrency ?? 4,
    signal: options.signal,
    sourceAttributes: options.sourceAttributes,
  });
  return { provider, stats, key };
}

function adminOf(fake: FakeGoogleServer): string {
  const email = `admin@${fake.directory.domain}`;
  if (!fake.directory.user(email)) fake.directory.addUser({ primaryEmail: email, isAdmin: true });
  return email;
}

/** Every page of a run, in order. */
export async function collectPages(run: DirectoryRun): Promise<DirectoryEvent[][]> {
  const pages: DirectoryEvent[][] = [];
  for await (const page of run.pages) pages.push(page);
  return pages;
}

/** The pages read before the run failed, and its error. */
export async function collectUntilError(run: DirectoryRun): Promise<{ pages: DirectoryEvent[][]; error: unknown }> {
  const pages: DirectoryEvent[][] = [];
  try {
    for await (const page of run.pages) pages.push(page);
  } catch (error) {
    return { pages, error };
  }
  return { pages, error: undefined };
}

/**
 * The fewest requests a full Google listing can make: one token, the user
 * pages (500), one deleted-users page at least, the group pages (200), and
 * per group its member pages (200, at least one).
 */
export function minimumRequests(fake: FakeGoogleServer): number {
  const dir = fake.directory;
  const c = dir.counts();
  const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
  let members = 0;
  for (const g of dir.listGroups()) members += pages(dir.membersOf(g.id).length, 200);
  return 1 + pages(c.users, 500) + pages(c.deletedUsers, 500) + (c.groups ? pages(c.groups, 200) : 1) + members;
}
