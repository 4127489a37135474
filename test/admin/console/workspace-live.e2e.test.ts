// page.evaluate callbacks run in the browser: their code is typed against the DOM.
/// <reference lib="dom" />
/**
 * The console as an admin's workspace, on the routes this server has:
 * creating and editing a connection (secrets write-only, schedules with their
 * next run times, threshold, scope), testing it, a held run's own page and
 * its approval, webhooks and API keys with their secrets shown once. One
 * chromium page, steps in order. Screenshots land in test-artifacts/console/.
 * (The pages over the provisioning log, provision on demand and attribute
 * expressions are driven in workspace.e2e.pending.ts.)
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { op } from '../operations/support.js';
import { screenshot } from './browser.js';
import { activeUsers, eventually, expectAccessible, holdARun, startConsoleSession, visit, type ConsoleSession } from './session.js';

let s: ConsoleSession;
let page: Page;
let createdId: string;

beforeAll(async () => {
  s = await startConsoleSession();
  page = s.page;
});
afterAll(() => s?.close());

const main = () => page.locator('main');
const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name, exact: typeof name === 'string' });
const status = () => page.locator('#status');
const secret = () => String(s.idp.settings.clientSecret);

describe('the console\'s workspace', () => {
  it('creates a connection from the kind\'s own form: settings, secret, schedules, threshold and scope', async () => {
    await main().getByRole('link', { name: 'New connection' }).click();
    await heading('New connection in Acme Corp').waitFor();
    await page.getByLabel('Kind').selectOption('entra');
    await page.getByLabel('Name').fill('entra-two');
    for (const [key, value] of Object.entries(s.idp.settings)) {
      if (typeof value === 'string' || typeof value === 'number') await page.locator(`#set-${key}`).fill(String(value));
    }
    expect(await page.locator('#set-clientSecret').getAttribute('type')).toBe('password');
    await page.getByLabel('Sync schedule', { exact: true }).fill('*/30 * * * *');
    await page.getByLabel('Full sync schedule').fill('15 3 * * *');
    await page.getByLabel('Deletion threshold').fill('10%');
    await page.getByLabel('Only members of these groups').fill('Engineering\nSupport');
    await page.getByLabel('Excluded email patterns').fill('*@contractors.test');
    await expectAccessible(page);
    await screenshot(page, '11-connection-new');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await heading('acme/entra-two').waitFor();
    await eventually(() => status().textContent()).toBe('Connection entra-two created.');

    const stored = (await op(s.ctx, 'connection.list', { tenant: 'acme' })).find((c: { name: string }) => c.name === 'entra-two');
    createdId = stored.id;
    expect(stored).toMatchObject({
      schedule: '*/30 * * * *',
      fullSchedule: '15 3 * * *',
      deletionThreshold: { count: null, percent: 10 },
      settings: { clientSecret: '(set)', scope: { groups: ['Engineering', 'Support'], excludeEmailPatterns: ['*@contractors.test'] } },
    });
    const facts = await main().locator('dl.facts').innerText();
    expect(facts).toMatch(/Schedule\s+\*\/30 \* \* \* \* — next: /);
    expect(facts).toMatch(/Full sync schedule\s+15 3 \* \* \* — next: /);
    expect(facts).toMatch(/Deletion threshold\s+10% of its users/);
    // The next runs are real times: the full sync's is at 03:15 UTC.
    const full = await main().locator('dl.facts dd').filter({ hasText: '15 3 * * *' }).locator('time').getAttribute('datetime');
    expect(new Date(full!).toISOString()).toMatch(/T03:15:00/);
    expect(await page.content()).not.toContain(secret());
    await screenshot(page, '12-connection-created');
  });

  it('tests the connection\'s credentials from its page', async () => {
    await main().getByRole('button', { name: 'Test connection' }).click();
    await eventually(() => page.locator('#test-result').textContent()).toMatch(/Test passed/);
    await eventually(() => status().textContent()).toBe('Connection test passed.');
  });

  it('edits it with the secret write-only: blank keeps the stored one, and the page never shows it', async () => {
    await main().getByRole('link', { name: 'Edit settings' }).click();
    await heading('Edit acme/entra-two').waitFor();
    const secretField = page.locator('#set-clientSecret');
    expect(await secretField.inputValue()).toBe('');
    expect(await secretField.getAttribute('placeholder')).toBe('leave blank to keep');
    expect(await page.getByLabel('Only members of these groups').inputValue()).toBe('Engineering\nSupport');
    expect(await page.getByLabel('Deletion threshold').inputValue()).toBe('10%');
    // The next run times are shown next to the schedules.
    expect(await page.locator('#conn-schedule-hint time').count()).toBe(1);
    await page.getByLabel('Sync schedule', { exact: true }).fill('0 * * * *');
    await page.getByLabel('Excluded email patterns').fill('');
    await expectAccessible(page);
    await screenshot(page, '13-connection-edit');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await heading('acme/entra-two').waitFor();
    const stored = await op(s.ctx, 'connection.show', { connection: createdId });
    expect(stored.schedule).toBe('0 * * * *');
    expect(stored.settings.scope).toEqual({ groups: ['Engineering', 'Support'] });
    expect(new Date(stored.nextRuns.sync).getUTCMinutes()).toBe(0);
    expect(await page.content()).not.toContain(secret());
    // The stored secret was kept: the credentials still work.
    await main().getByRole('button', { name: 'Test connection' }).click();
    await eventually(() => page.locator('#test-result').textContent()).toMatch(/Test passed/);
  });

  it('shows what the API refuses in the form, naming the field', async () => {
    await main().getByRole('link', { name: 'Edit settings' }).click();
    await heading('Edit acme/entra-two').waitFor();
    await page.getByLabel('Sync schedule', { exact: true }).fill('every day');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await eventually(() => main().locator('form [role="alert"]').textContent()).toMatch(/schedule "every day" is not a valid cron expression.*invalid_input, HTTP 400/);
    expect((await op(s.ctx, 'connection.show', { connection: createdId })).schedule).toBe('0 * * * *');
  });

  it('opens a held run on its own page from the runs table and approves it there', async () => {
    const runId = await holdARun(s, 'ann', 'bo');
    await visit(page, `#/connections/${s.entraId}`, 'acme/entra');
    // The held run lists whom it affects on the connection's page too; its own page is one click away.
    expect(await main().locator('section.held #held-list').count()).toBe(1);
    await main().locator('section[aria-labelledby="runs-heading"] tbody tr').first().getByRole('link').click();
    await heading('Run of acme/entra').waitFor();
    expect(page.url()).toContain(`#/connections/${s.entraId}/runs/${runId}`);
    expect(await page.locator('#run-status').textContent()).toBe('held');
    const approve = main().getByRole('button', { name: 'Approve' });
    // Both buttons come after the list of whom the plan affects.
    const order = await page.evaluate(() => {
      const list = document.getElementById('held-list')!;
      const button = [...document.querySelectorAll('section.held button')].find((b) => b.textContent === 'Approve')!;
      return list.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    expect(order).toBeTruthy();
    await eventually(() => approve.isEnabled()).toBe(true);
    expect(await main().getByRole('button', { name: 'Reject' }).count()).toBe(1);
    await screenshot(page, '14-run-held');
    expect(await activeUsers(s)).toBe(5);
    await approve.click();
    await eventually(() => status().textContent()).toMatch(/Approved: the run succeeded, 2 usersDeactivated/);
    await eventually(() => page.locator('#run-status').textContent()).toBe('succeeded');
    expect(page.url()).not.toContain(runId);
    expect(await activeUsers(s)).toBe(3);
    expect(await main().locator('section.held').count()).toBe(0);
  });

  it('links each run of the runs table to its page', async () => {
    await visit(page, `#/connections/${s.entraId}`, 'acme/entra');
    const links = main().locator('section[aria-labelledby="runs-heading"] tbody tr a');
    expect(await links.count()).toBe(3);
    await links.last().click();
    await heading('Run of acme/entra').waitFor();
    expect(await main().locator('dl.facts').innerText()).toMatch(/5 usersCreated/);
  });

  it('adds a webhook with its signing secret shown once, refuses a plain-http one, and deletes it', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Webhooks' }).click();
    await heading('Webhooks').waitFor();
    expect(await main().getByText('No webhooks yet.').count()).toBe(1);
    await page.getByLabel('Endpoint URL').fill('http://hooks.example.com/roster');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await eventually(() => main().locator('form [role="alert"]').textContent()).toMatch(/https/);

    await page.getByLabel('Endpoint URL').fill('https://hooks.example.com/roster');
    await page.getByLabel('Description (optional)').fill('SIEM');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const shown = page.locator('#webhook-secret');
    await shown.waitFor();
    expect(await shown.textContent()).toMatch(/^whsec_/);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('webhook-secret');
    const row = main().locator('tr[data-webhook="https://hooks.example.com/roster"]');
    expect(await row.innerText()).toMatch(/SIEM\s+delivering/);
    const [hook] = await op(s.ctx, 'webhook.list', { tenant: 'acme' });
    expect(hook.url).toBe('https://hooks.example.com/roster');
    await expectAccessible(page);
    await screenshot(page, '15-webhooks');
    // Shown once: gone after the page is left.
    await page.reload();
    await heading('Webhooks').waitFor();
    expect(await page.locator('#webhook-secret').count()).toBe(0);

    page.once('dialog', (dialog) => void dialog.accept());
    await main().getByRole('button', { name: 'Delete webhook https://hooks.example.com/roster' }).click();
    await eventually(() => row.count()).toBe(0);
    expect(await op(s.ctx, 'webhook.list', { tenant: 'acme' })).toEqual([]);
    await eventually(() => status().textContent()).toBe('Webhook https://hooks.example.com/roster deleted.');
  });

  it('creates an API key for one tenant, shown once, that works until it is revoked', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'API keys' }).click();
    await heading('API keys').waitFor();
    expect(await main().locator('tr[data-key="console"]').innerText()).toMatch(/admin\s+every tenant/);
    await page.getByLabel('Key name').fill('ci');
    await page.getByLabel('Scope').selectOption('admin');
    await page.getByLabel('Reaches').selectOption('globex');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.locator('#key-value');
    await shown.waitFor();
    const key = (await shown.textContent())!;
    expect(await main().locator('.notice.once').innerText()).toMatch(/New key "ci" \(admin, globex\)/);
    const tenants = await fetch(`${s.origin}/api/v1/tenants`, { headers: { authorization: `Bearer ${key}` } });
    expect((await tenants.json()).tenants.map((t: { slug: string }) => t.slug)).toEqual(['globex']);
    await expectAccessible(page);
    await screenshot(page, '16-api-keys');

    page.once('dialog', (dialog) => void dialog.accept());
    await main().getByRole('button', { name: 'Revoke key ci' }).click();
    await eventually(() => main().locator('tr[data-key="ci"] td').nth(5).textContent()).toBe('revoked');
    expect(await page.locator('#key-value').count()).toBe(0);
    expect((await fetch(`${s.origin}/api/v1/tenants`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
  });

  it('shows a user\'s page with the provision and history sections, headings in order', async () => {
    await visit(page, '#/users?q=cy', 'Users');
    await main().locator('tbody tr').first().getByRole('link').click();
    await heading('cy@contoso.test').waitFor();
    expect(await main().getByRole('heading', { level: 2 }).allTextContents()).toEqual(['Roles', 'Groups', 'Provision on demand', 'History']);
    expect(await main().getByRole('button', { name: 'Provision now' }).count()).toBe(1);
    await expectAccessible(page);
  });

  it('never lets a slow page paint over the one the admin moved on to', async () => {
    // The network is slow for one page's report: the admin goes to Webhooks before it answers.
    await page.route('**/report?runs=20', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await route.continue().catch(() => {});
    });
    await page.evaluate((hash) => (location.hash = hash), `#/connections/${s.entraId}`);
    await page.getByRole('navigation').getByRole('link', { name: 'Webhooks' }).click();
    await heading('Webhooks').waitFor();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await page.getByRole('heading', { level: 1 }).allTextContents()).toEqual(['Webhooks']);
    await page.unroute('**/report?runs=20');
  });

  it('raised no script error and no CSP violation along the way', () => {
    expect(s.pageErrors).toEqual([]);
  });
});
