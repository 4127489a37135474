// page.evaluate callbacks run in the browser: their code is typed against the DOM.
/// <reference lib="dom" />
/**
 * The admin console end to end: a real server on a loopback port, on the
 * test store of the selected backend, seeded through operations (an Entra
 * connection synced from the fake Graph, a held run, a SCIM connection, roles
 * and mappings), driven in Debian's chromium through playwright-core. The
 * steps share one browser page and run in order, like an admin's session.
 * Screenshots land in test-artifacts/console/.
 */
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../src/server/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { op, operationContext } from '../operations/support.js';
import { entraAdapter } from '../../pull/providers/contract/adapters.js';
import { startScenario, type ScenarioIdp } from '../../pull/providers/contract/scenario.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { accessibilityProblems, launchChromium, screenshot } from './browser.js';

const ADMIN_TOKEN = 'bootstrap-admin-token-for-console-tests-0123';

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;
let app: FastifyInstance;
let idp: ScenarioIdp;
let browser: Browser;
let page: Page;
let origin: string;
let consoleKey: { id: string; key: string };
let entraId: string;
/** Runs of the Entra connection before the approval (for the chart and the table). */
let runsBefore: number;
const pageErrors: string[] = [];

const activeUsers = async () => (await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from users where active`))[0]!.n;

beforeAll(async () => {
  // First, so that a missing chromium fails at once with the command that installs it.
  browser = await launchChromium();
  store = await createTestStore();
  ctx = operationContext(store);
  idp = await startScenario(entraAdapter);
  const [ann, bo, cy, dee, eve] = ['ann', 'bo', 'cy', 'dee', 'eve'].map((n) => idp.addUser(n)) as [string, string, string, string, string];
  const engineering = idp.addGroup('Engineering');
  const support = idp.addGroup('Support');
  for (const u of [ann, bo, eve]) idp.addMember(engineering, u);
  for (const u of [cy, dee]) idp.addMember(support, u);

  await op(ctx, 'tenant.create', { slug: 'acme', name: 'Acme Corp' });
  for (const role of ['developer', 'support', 'auditor']) await op(ctx, 'role.create', { tenant: 'acme', name: role });
  entraId = (await op(ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: idp.settings })).id;
  await op(ctx, 'mapping.add', { tenant: 'acme', group: 'Engineering', role: 'developer', connection: entraId });
  await op(ctx, 'mapping.add', { tenant: 'acme', group: 'Contractors', role: 'auditor', tenantWide: true });
  await op(ctx, 'sync.run', { connection: entraId, trigger: 'manual' });
  await op(ctx, 'sync.run', { connection: entraId, full: true, trigger: 'manual' });
  await op(ctx, 'role.grant', { tenant: 'acme', user: 'cy@contoso.test', role: 'auditor' });
  // Two of five users disabled at once, over a threshold of one: the plan is held.
  await op(ctx, 'connection.update', { connection: entraId, deletionThreshold: '1' });
  idp.disable(ann);
  idp.disable(bo);
  const held = await op(ctx, 'sync.run', { connection: entraId, trigger: 'manual' });
  expect(held.status).toBe('held');
  runsBefore = 3;
  await op(ctx, 'connection.create', { tenant: 'acme', name: 'scim', kind: 'scim' });
  consoleKey = await op(ctx, 'apiKey.create', { name: 'console', scope: 'admin' });

  app = buildServer(ctx, { adminToken: ADMIN_TOKEN });
  await app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  // Well under the test timeout, so that a missing element fails with its own message.
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // A refused request logs "Failed to load resource" (the 401 steps expect some); anything else is a fault.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await idp?.close();
  await store?.close();
});

/** Waits for what the page does after a click (a request, then a render). */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000 });
const main = () => page.locator('main');
const heading = (name: string) => page.getByRole('heading', { level: 1, name, exact: true });
const status = () => page.locator('#status');

async function expectAccessible(): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
}

describe('the admin console at /admin', () => {
  it('is served with a Content-Security-Policy that allows only its own origin', async () => {
    const res = await fetch(`${origin}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe|\*|https?:/);
    const html = await res.text();
    // One module entry and no inline script: the CSP would refuse any.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script type="module" src="/admin/js/main.js"></script>');
    const script = await fetch(`${origin}/admin/js/main.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('content-security-policy')).toBe(csp);
  });

  it('refuses a wrong key on the sign-in form with a clear message, keeping nothing', async () => {
    await page.goto(`${origin}/admin`);
    await eventually(() => heading('Sign in to Roster').isVisible()).toBe(true);
    await expectAccessible();
    await page.getByLabel('Admin API key').fill('rk_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.locator('#sign-in-problem').textContent()).toContain('That key was refused');
    expect(await page.evaluate(() => sessionStorage.getItem('roster.apiKey'))).toBeNull();
    await screenshot(page, '01-sign-in-refused');
  });

  it('signs in by keyboard with an admin key kept in sessionStorage only, and shows connections with health', async () => {
    await page.getByLabel('Admin API key').fill(consoleKey.key);
    await page.keyboard.press('Enter');
    await heading('Connections').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('roster.apiKey'))).toBe(consoleKey.key);
    expect(await page.evaluate(() => [localStorage.length, document.cookie])).toEqual([0, '']);
    expect(page.url()).not.toContain(consoleKey.key);
    const entra = main().locator('tr[data-connection="entra"]');
    await eventually(() => entra.locator('.badge').textContent()).toBe('degraded');
    expect(await entra.locator('.reason').textContent()).toMatch(/held/);
    expect(await entra.locator('td.num').allTextContents()).toEqual(['5', '2']);
    expect(await entra.locator('time').count()).toBe(1);
    const scim = main().locator('tr[data-connection="scim"]');
    expect(await scim.locator('.badge').textContent()).toBe('healthy');
    expect(await scim.locator('.reason').textContent()).toMatch(/waiting for a first SCIM push/);
    await expectAccessible();
    await screenshot(page, '02-connections');
  });

  it('shows a connection\'s last sync, counts, recent runs and their chart, and approves the held run', async () => {
    await main().getByRole('link', { name: 'entra' }).click();
    await heading('acme/entra').waitFor();
    const facts = await main().locator('dl.facts').innerText();
    expect(facts).toMatch(/Users synced\s+5/);
    expect(facts).toMatch(/Groups synced\s+2/);
    expect(facts).toMatch(/Latest run\s+held/);
    const runRows = main().locator('section[aria-labelledby="runs-heading"] tbody tr');
    expect(await runRows.count()).toBe(runsBefore);
    expect(await runRows.first().innerText()).toMatch(/held/);
    expect(await runRows.last().innerText()).toMatch(/5 usersCreated/);
    expect(await main().locator('svg.chart rect.bar').count()).toBe(runsBefore);
    expect(await main().locator('svg.chart rect.bar.run-held').count()).toBe(1);
    expect(await main().locator('svg.chart').getAttribute('aria-label')).toMatch(/last 3 runs/);
    await expectAccessible();
    await screenshot(page, '03-connection-held');

    expect(await activeUsers()).toBe(5);
    await main().getByRole('button', { name: 'Approve' }).click();
    await eventually(() => page.locator('#run-result').textContent()).toMatch(/Approval: run succeeded.*2 usersDeactivated/);
    expect(await activeUsers()).toBe(3);
    await eventually(() => status().textContent()).toMatch(/Approved: the run succeeded/);
    expect(await main().getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await runRows.count()).toBe(runsBefore + 1);
    expect(await main().locator('svg.chart rect.bar').count()).toBe(runsBefore + 1);
    expect(await main().locator('dl.facts').innerText()).toMatch(/Latest run\s+succeeded/);
    await screenshot(page, '04-connection-approved');
  });

  it('shows an approval the API refuses as an error in the page', async () => {
    // A second admin approved the same run first: the API answers 409, and the page says so.
    await op(ctx, 'connection.update', { connection: entraId, deletionThreshold: '0' });
    idp.disable((await queryRows<{ external_id: string }>(store.db, sql`select external_id from users where user_name = 'dee@contoso.test'`))[0]!.external_id);
    await op(ctx, 'sync.run', { connection: entraId, trigger: 'manual' });
    await page.reload();
    await heading('acme/entra').waitFor();
    const heldRun = (await op(ctx, 'report.show', { connection: entraId, runs: 1 })).recentRuns[0];
    expect(heldRun.status).toBe('held');
    await op(ctx, 'sync.run', { connection: entraId, approve: heldRun.runId });
    await main().getByRole('button', { name: 'Approve' }).click();
    // The section's own alert (its list of affected users has its own place for errors).
    const alert = main().locator('section.held > [role="alert"]');
    await eventually(() => alert.textContent()).toMatch(/conflict, HTTP 409/);
    await screenshot(page, '05-approve-refused');
  });

  it('generates a SCIM token shown once, which works against /scim/v2 until it is revoked', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Connections' }).click();
    await heading('Connections').waitFor();
    await main().getByRole('link', { name: 'scim' }).click();
    await heading('acme/scim').waitFor();
    expect(await page.locator('#scim-base-url').textContent()).toBe(`${origin}/scim/v2`);
    expect(await main().getByText('No tokens yet').count()).toBe(1);

    await page.getByLabel('Token name').fill('Okta SCIM');
    await page.getByRole('button', { name: 'Generate token' }).click();
    const shown = page.locator('#token-value');
    await shown.waitFor();
    const token = (await shown.textContent())!;
    expect(token.length).toBeGreaterThan(20);
    expect(await main().getByText('it is shown only this once').count()).toBe(1);
    const row = main().locator('tr[data-token="Okta SCIM"]');
    expect(await row.locator('td').nth(4).textContent()).toBe('active');
    expect(await row.locator('td').nth(2).textContent()).toBe('never');
    await expectAccessible();
    await screenshot(page, '06-scim-token-generated');

    const scimGet = () => fetch(`${origin}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } });
    expect((await scimGet()).status).toBe(200);
    // Back to the connection: the token is not shown again, and its last use is.
    await page.reload();
    await heading('acme/scim').waitFor();
    expect(await page.locator('#token-value').count()).toBe(0);
    expect(await row.locator('td').nth(2).locator('time').count()).toBe(1);
    expect(await page.content()).not.toContain(token);

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke token Okta SCIM' }).click();
    await eventually(() => row.locator('td').nth(4).textContent()).toBe('revoked');
    expect(await row.getByRole('button', { name: 'Revoke token Okta SCIM' }).isDisabled()).toBe(true);
    expect((await scimGet()).status).toBe(401);
    await eventually(() => status().textContent()).toBe('Token Okta SCIM revoked.');
    await screenshot(page, '07-scim-token-revoked');
  });

  it('adds and removes group-to-role mappings, and shows what the API refuses', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Mappings' }).click();
    await heading('Group-to-role mappings').waitFor();
    expect(await main().locator('tbody tr').count()).toBe(2);
    expect(await main().locator('tr[data-mapping="Contractors→auditor"]').textContent()).toContain('every connection (tenant-wide)');
    expect(await main().locator('tr[data-mapping="Engineering→developer"]').textContent()).toContain('entra');
    await expectAccessible();
    await page.getByLabel('Group', { exact: true }).fill('Support');
    await page.getByLabel('Role').selectOption('support');
    await page.getByLabel('Connection').selectOption({ label: 'entra' });
    await page.getByRole('button', { name: 'Add mapping' }).click();
    await main().locator('tr[data-mapping="Support→support"]').waitFor();
    const mappings = await op(ctx, 'mapping.list', { tenant: 'acme' });
    expect(mappings.map((m: { group: string; role: string }) => `${m.group}→${m.role}`).sort()).toEqual(['Contractors→auditor', 'Engineering→developer', 'Support→support']);
    expect(mappings.find((m: { group: string }) => m.group === 'Support')).toMatchObject({ connection: 'entra', tenantWide: false });

    // Tenant-wide only by choosing it: then the row says so.
    await page.getByLabel('Group', { exact: true }).fill('Everyone');
    await page.getByLabel('Role').selectOption('auditor');
    await page.getByLabel('Connection').selectOption({ label: 'every connection (tenant-wide, SCIM pushes included)' });
    await page.getByRole('button', { name: 'Add mapping' }).click();
    await main().locator('tr[data-mapping="Everyone→auditor"]').waitFor();
    expect(await main().locator('tr[data-mapping="Everyone→auditor"]').textContent()).toContain('every connection (tenant-wide)');
    const everyone = (await op(ctx, 'mapping.list', { tenant: 'acme' })).find((m: { group: string }) => m.group === 'Everyone');
    expect(everyone).toMatchObject({ tenantWide: true, connection: null });
    page.once('dialog', (dialog) => void dialog.accept());
    await main().getByRole('button', { name: 'Remove mapping Everyone to auditor' }).click();
    await eventually(() => main().locator('tr[data-mapping="Everyone→auditor"]').count()).toBe(0);

    // The page went stale: another admin deleted the connection it offers. The API's 404 shows in the form.
    await page.getByLabel('Group', { exact: true }).fill('Auditors');
    await page.getByLabel('Role').selectOption('auditor');
    await page.getByLabel('Connection').selectOption({ label: 'scim' });
    await op(ctx, 'connection.delete', { connection: 'acme/scim', force: true });
    await page.getByRole('button', { name: 'Add mapping' }).click();
    await eventually(() => main().locator('form [role="alert"]').textContent()).toMatch(/not found.*\(not_found, HTTP 404\)/);
    expect((await op(ctx, 'mapping.list', { tenant: 'acme' })).length).toBe(3);
    await screenshot(page, '08-mappings');

    page.once('dialog', (dialog) => void dialog.accept());
    await main().getByRole('button', { name: 'Remove mapping Contractors to auditor' }).click();
    await eventually(() => main().locator('tr[data-mapping="Contractors→auditor"]').count()).toBe(0);
    expect((await op(ctx, 'mapping.list', { tenant: 'acme' })).length).toBe(2);
  });

  it('finds a user by email prefix in any case, and shows their roles with their source and their groups', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
    await heading('Users').waitFor();
    await page.getByLabel('Find users').fill('CY@');
    await page.keyboard.press('Enter');
    const rows = main().locator('tbody tr');
    await eventually(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toMatch(/cy@contoso\.test/);
    await eventually(() => status().textContent()).toBe('1 user found.');
    await expectAccessible();
    await rows.first().getByRole('link').click();
    await heading('cy@contoso.test').waitFor();
    expect(await main().locator('tr[data-role="support"] td').textContent()).toMatch(/group mapping \(idp\)/);
    expect(await main().locator('tr[data-role="auditor"] td').textContent()).toMatch(/by hand \(manual, by tester\)/);
    expect(await main().locator('ul.groups li').allTextContents()).toEqual(['Support']);
    await expectAccessible();
    await screenshot(page, '09-user');
  });

  it('works by keyboard: a skip link, a visible focus ring, links and buttons that answer Enter', async () => {
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? '');
    const outline = () => page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    // The skip link comes first, before the header's links; Enter moves focus to the content, not the URL.
    const before = page.url();
    await page.locator('header').click({ position: { x: 600, y: 5 } });
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Roster admin');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('Skip to content');
    expect(await outline()).toBe('solid');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    expect(page.url()).toBe(before);

    await page.locator('header').click({ position: { x: 600, y: 5 } });
    for (let i = 0; i < 5 && (await focused()) !== 'Connections'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('Connections');
    expect(await outline()).toBe('solid');
    await page.keyboard.press('Enter');
    await heading('Connections').waitFor();
    // The new page's heading has the focus; Tab goes on to the first connection's link.
    expect(await focused()).toBe('Connections');
    for (let i = 0; i < 10 && (await focused()) !== 'entra'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('entra');
    await page.keyboard.press('Enter');
    await heading('acme/entra').waitFor();
    for (let i = 0; i < 10 && (await focused()) !== 'Sync now'; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('BUTTON');
  });

  it('signs out, forgetting the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in to Roster').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.getByRole('navigation').isVisible()).toBe(false);
  });

  it('sends the admin back to sign-in with a clear message once the key is revoked', async () => {
    await page.getByLabel('Admin API key').fill(consoleKey.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Connections').waitFor();
    await op(ctx, 'apiKey.revoke', { id: consoleKey.id });
    await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
    await heading('Sign in to Roster').waitFor();
    expect(await page.locator('#sign-in-problem').textContent()).toMatch(/Signed out: the server refused the key .*Sign in again/);
    expect(await page.evaluate(() => sessionStorage.getItem('roster.apiKey'))).toBeNull();
    await screenshot(page, '10-key-revoked');
  });

  it('raised no script error and no CSP violation along the way', () => {
    expect(pageErrors).toEqual([]);
  });
});
