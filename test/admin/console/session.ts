// page.evaluate callbacks run in the browser: their code is typed against the DOM.
/// <reference lib="dom" />
/**
 * What the console's workspace tests share: a real server on a loopback port
 * over the test store, an Entra connection synced from the fake Graph (five
 * users, two groups), an admin key, and one chromium page signed in with it.
 */
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { buildServer } from '../../../src/server/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { op, operationContext } from '../operations/support.js';
import { entraAdapter } from '../../pull/providers/contract/adapters.js';
import { startScenario, type ScenarioIdp } from '../../pull/providers/contract/scenario.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { accessibilityProblems, launchChromium } from './browser.js';

export interface ConsoleSession {
  store: TestStore;
  ctx: ReturnType<typeof operationContext>;
  app: FastifyInstance;
  idp: ScenarioIdp;
  browser: Browser;
  page: Page;
  origin: string;
  key: { id: string; key: string };
  entraId: string;
  /** The fake IdP's ids of ann, bo, cy, dee and eve. */
  people: Record<'ann' | 'bo' | 'cy' | 'dee' | 'eve', string>;
  /** Script errors and CSP violations seen so far (a refused request's log line excepted). */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function startConsoleSession(): Promise<ConsoleSession> {
  // First, so that a missing chromium fails at once with the command that installs it.
  const browser = await launchChromium();
  const store = await createTestStore();
  const ctx = operationContext(store);
  const idp = await startScenario(entraAdapter);
  const [ann, bo, cy, dee, eve] = ['ann', 'bo', 'cy', 'dee', 'eve'].map((n) => idp.addUser(n)) as [string, string, string, string, string];
  const engineering = idp.addGroup('Engineering');
  const support = idp.addGroup('Support');
  for (const u of [ann, bo, eve]) idp.addMember(engineering, u);
  for (const u of [cy, dee]) idp.addMember(support, u);
  await op(ctx, 'tenant.create', { slug: 'acme', name: 'Acme Corp' });
  await op(ctx, 'tenant.create', { slug: 'globex', name: 'Globex' });
  const entraId = (await op(ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: idp.settings })).id;
  await op(ctx, 'sync.run', { connection: entraId, trigger: 'manual' });
  const key = await op(ctx, 'apiKey.create', { name: 'console', scope: 'admin' });

  const app = buildServer(ctx, { adminToken: 'bootstrap-admin-token-for-console-tests-0123' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.setDefaultTimeout(10_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text());
  });
  await page.goto(`${origin}/admin`);
  await page.getByLabel('Admin API key').fill(key.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
  return {
    store, ctx, app, idp, browser, page, origin, key, entraId, pageErrors,
    people: { ann, bo, cy, dee, eve },
    async close() {
      await browser.close();
      await app.close();
      await idp.close();
      await store.close();
    },
  };
}

export const activeUsers = async (s: ConsoleSession) => (await queryRows<{ n: number }>(s.store.db, sql`select count(*)::int as n from users where active`))[0]!.n;

/** Waits for what the page does after a click (a request, then a render). */
export const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000 });

export async function expectAccessible(page: Page): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
}

/** Open a hash route as a link would, and wait for its h1. */
export async function visit(page: Page, hash: string, heading: string | RegExp): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** Disable two of five users over a threshold of one: the next sync is held. Answers its run id. */
export async function holdARun(s: ConsoleSession, ...who: Array<keyof ConsoleSession['people']>): Promise<string> {
  await op(s.ctx, 'connection.update', { connection: s.entraId, deletionThreshold: '1' });
  for (const person of who) s.idp.disable(s.people[person]);
  const held = await op(s.ctx, 'sync.run', { connection: s.entraId, trigger: 'manual' });
  expect(held.status).toBe('held');
  return held.runId;
}
