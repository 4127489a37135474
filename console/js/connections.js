/** Connections at a glance, and one connection: health, runs, held plans, SCIM. */
import { get, post } from './api.js';
import { runChart } from './chart.js';
import { changes, duration, facts, h, healthBadge, table, when } from './dom.js';
import { heldPanel } from './held.js';
import { scimPanel } from './scim.js';

const PULL_KINDS = new Set(['entra', 'okta', 'google']);

export async function connectionsView(ui) {
  const tenant = ui.tenant();
  const query = tenant ? `?tenant=${encodeURIComponent(tenant.slug)}` : '';
  const { connections } = await get(`/connections${query}`);
  const rows = connections.map((c) =>
    h(
      'tr',
      { dataset: { connection: c.name } },
      h('th', { scope: 'row' }, h('a', { href: `#/connections/${c.id}` }, c.name)),
      h('td', {}, c.kind),
      h('td', { class: 'health' }, healthBadge(c.health), ' ', h('span', { class: 'reason' }, c.healthReason ?? '')),
      h('td', {}, when(c.lastSyncAt)),
      h('td', { class: 'num' }, c.usersSynced),
      h('td', { class: 'num' }, c.groupsSynced),
      h('td', {}, c.status ?? '–'),
    ),
  );
  ui.main.replaceChildren(
    h('h1', { tabindex: '-1' }, 'Connections'),
    tenant ? h('p', {}, h('a', { href: '#/connections/new', class: 'button' }, 'New connection')) : null,
    connections.length
      ? table(`Connections of ${tenant ? tenant.name : 'every tenant'}, with health`, ['Connection', 'Kind', 'Health', 'Last sync', 'Users', 'Groups', 'Latest run'], rows)
      : h('p', {}, 'No connections yet.'),
  );
}

/** `notice`: what the last action here did (an approval's result), shown above the rest. */
export async function connectionDetailView(ui, id, notice) {
  const [connection, report] = await Promise.all([get(`/connections/${id}`), get(`/connections/${id}/report?runs=20`)]);
  const pull = PULL_KINDS.has(connection.kind);
  const latest = report.recentRuns[0];
  const rerender = (next) => connectionDetailView(ui, id, next).catch((err) => ui.showError(err));

  const sections = [
    h('h1', { tabindex: '-1' }, report.connection),
    notice ?? null,
    facts([
      ['Kind', connection.kind],
      ['Health', [healthBadge(report.health), ' ', report.healthReason]],
      ['Latest run', report.status],
      ['Last sync', when(report.lastSyncAt)],
      ['Last successful sync', when(report.lastSuccessAt)],
      ['Users synced', String(report.usersSynced)],
      ['Groups synced', String(report.groupsSynced)],
      ['Enabled', connection.enabled ? 'yes' : 'no'],
      ['Schedule', [connection.schedule ?? 'none (runs on demand)', nextAt(connection.nextRuns?.sync)]],
      ...(pull ? [['Full sync schedule', [connection.fullSchedule ?? 'none', nextAt(connection.nextRuns?.full)]]] : []),
      ['Deletion threshold', threshold(connection.deletionThreshold)],
      ...(report.lastPushAt !== null || connection.kind === 'scim' ? [['Last SCIM push', when(report.lastPushAt)]] : []),
    ]),
  ];
  sections.push(actions(ui, id, pull, rerender));
  if (latest?.status === 'held') {
    sections.push(heldPanel(ui, { connectionId: id, run: latest, done: (verb, result) => rerender(runResult(verb === 'approve' ? 'Approval' : 'Rejection', result)) }));
  }
  if (pull || report.recentRuns.length) sections.push(runsSection(id, report.recentRuns));
  if (connection.kind === 'scim' || connection.scimPush) sections.push(await scimPanel(ui, connection));
  ui.main.replaceChildren(...sections.filter(Boolean));
}

const nextAt = (iso) => (iso ? h('span', { class: 'next-run' }, ' — next: ', when(iso)) : null);

function threshold(t) {
  if (t?.percent !== null && t?.percent !== undefined) return `${t.percent}% of its users`;
  if (t?.count !== null && t?.count !== undefined) return `${t.count} users`;
  return 'the default';
}

/** Sync now (pull kinds), test the credentials, edit; results go to the page and the status. */
function actions(ui, id, pull, rerender) {
  const testResult = h('div', { id: 'test-result' });
  const test = h('button', { type: 'button' }, 'Test connection');
  test.addEventListener('click', async () => {
    test.disabled = true;
    ui.clearError(box);
    try {
      const result = await post(`/connections/${id}/test`, {});
      testResult.replaceChildren(h('div', { class: `notice ${result.ok ? 'run-succeeded' : 'run-failed'}` },
        h('p', {}, h('strong', {}, result.ok ? 'Test passed' : 'Test failed')),
        h('ul', { class: 'checks' }, result.checks.map((c) => h('li', { class: c.ok ? 'ok' : 'bad' }, `${c.ok ? '✓' : '✗'} ${c.name}`, c.detail ? h('span', { class: 'reason' }, `: ${c.detail}`) : '')))));
      ui.announce(result.ok ? 'Connection test passed.' : `Connection test failed: ${result.checks.filter((c) => !c.ok).map((c) => c.name).join(', ')}.`);
    } catch (err) {
      ui.showError(err, box);
    } finally {
      test.disabled = false;
    }
  });
  const box = h('div', { class: 'actions' },
    h('p', {}, pull ? syncNow(ui, id, rerender) : null, pull ? ' ' : null, pull ? test : null, pull ? ' ' : null,
      h('a', { href: `#/connections/${id}/edit` }, 'Edit settings'),
      pull ? [' · ', h('a', { href: `#/connections/${id}/expressions` }, 'Attribute expressions')] : null),
    testResult);
  return box;
}

function syncNow(ui, id, rerender) {
  const button = h('button', { type: 'button' }, 'Sync now');
  button.addEventListener('click', async () => {
    button.disabled = true;
    ui.announce('Sync started; this page updates when it ends.');
    try {
      const result = await post(`/connections/${id}/sync`, {});
      ui.announce(`Sync ${result.status}: ${changes(result.counts)}.`);
      await rerender(runResult('Sync', result));
    } catch (err) {
      button.disabled = false;
      ui.showError(err);
    }
  });
  return button;
}

/** The answer of a sync or an approval, kept on screen after the page refreshes. */
function runResult(what, result) {
  return h(
    'div',
    { class: `notice run-${result.status}`, id: 'run-result' },
    h('p', {}, h('strong', {}, `${what}: run ${result.status}`), ` in ${duration(result.durationMs)}; ${changes(result.counts)}.`),
    result.error ? h('p', { class: 'reason' }, result.error) : null,
  );
}

function runsSection(id, runs) {
  const rows = runs.map((r) =>
    h(
      'tr',
      { class: `run-${r.status}` },
      h('td', {}, h('a', { href: `#/connections/${id}/runs/${r.runId}`, 'aria-label': `Run of ${new Date(r.startedAt).toLocaleString()}` }, when(r.startedAt))),
      h('td', {}, `${r.trigger} / ${r.mode}`),
      h('td', {}, r.status),
      h('td', { class: 'num' }, duration(r.durationMs)),
      h('td', { class: 'num' }, r.usersSynced),
      h('td', { class: 'num' }, r.groupsSynced),
      h('td', {}, changes(r.counts)),
      h('td', { class: 'num' }, r.apiRequests),
      h('td', { class: 'reason' }, r.error ?? ''),
    ),
  );
  return h(
    'section',
    { 'aria-labelledby': 'runs-heading' },
    h('h2', { id: 'runs-heading' }, 'Recent runs'),
    runs.length ? runChart(runs) : null,
    runs.length
      ? h('p', { class: 'hint' }, 'Bars: how long each run took, oldest on the left (blue succeeded, amber held, red failed or partial). Line: changes applied by each run.')
      : null,
    runs.length
      ? table('Recent runs, newest first', ['Started', 'Trigger / mode', 'Status', 'Duration', 'Users', 'Groups', 'Changes', 'API requests', 'Error'], rows)
      : h('p', {}, 'No runs yet.'),
  );
}
