/**
 * One run: its figures, then every change it made, paged and filtered (kind,
 * outcome, user). A held run first lists exactly whom its plan would
 * deactivate or delete, and only after that list the Approve and Reject buttons.
 */
import { get } from './api.js';
import { changes, duration, facts, h, when } from './dom.js';
import { heldPanel } from './held.js';
import { pagedTable } from './log.js';

const KINDS = ['user', 'group', 'membership', 'role'];
const OUTCOMES = ['created', 'updated', 'deactivated', 'reactivated', 'deleted', 'added', 'removed', 'granted', 'revoked', 'skipped', 'held', 'failed'];

/** `filters`: { kind, outcome, user } from the page's query string. */
export async function runView(ui, connectionId, runId, filters = {}) {
  const base = `/connections/${connectionId}/runs/${runId}`;
  const [connection, { runs }] = await Promise.all([get(`/connections/${connectionId}`), get(`/connections/${connectionId}/runs?limit=100`)]);
  const run = runs.find((r) => r.runId === runId);
  const title = `Run of ${connection.tenant}/${connection.name}`;
  const parts = [
    h('p', {}, h('a', { href: `#/connections/${connectionId}` }, `← ${connection.tenant}/${connection.name}`)),
    h('h1', { tabindex: '-1' }, title),
    run
      ? facts([
        ['Run', h('code', {}, runId)],
        ['Status', h('span', { id: 'run-status' }, run.status)],
        ['Trigger / mode', `${run.trigger} / ${run.mode}`],
        ['Started', when(run.startedAt)],
        ['Duration', duration(run.durationMs)],
        ['Changes', changes(run.counts)],
        ...(run.error ? [['Error', h('span', { class: 'reason' }, run.error)]] : []),
      ])
      : h('p', { class: 'muted' }, 'This run is older than the last 100 runs: only its changes are shown.'),
  ];
  if (run?.status === 'held') {
    parts.push(heldPanel(ui, {
      connectionId,
      run,
      // An approval applies the plan as a new run: its page shows what was done.
      done: (verb, result) => (verb === 'approve' && result.runId && result.runId !== runId ? ui.go(`#/connections/${connectionId}/runs/${result.runId}`) : ui.refresh()),
    }));
  }
  parts.push(await changesSection(ui, base, connectionId, runId, filters));
  ui.main.replaceChildren(...parts);
}

async function changesSection(ui, base, connectionId, runId, filters) {
  const select = (id, label, values, value) => h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, name: id.replace('filter-', '') }, h('option', { value: '' }, 'any'), values.map((v) => h('option', { value: v, selected: v === value }, v))));
  const user = h('input', { id: 'filter-user', name: 'user', type: 'search', autocomplete: 'off', value: filters.user ?? '' });
  const form = h(
    'form',
    { class: 'inline-form', role: 'search', 'aria-label': 'Filter the changes' },
    select('filter-kind', 'Kind', KINDS, filters.kind),
    select('filter-outcome', 'Outcome', OUTCOMES, filters.outcome),
    h('div', { class: 'field' }, h('label', { for: 'filter-user' }, 'User (id or userName)'), user),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const el of form.querySelectorAll('select, input')) if (el.value.trim()) q.set(el.name, el.value.trim());
    ui.go(`#/connections/${connectionId}/runs/${runId}${q.size ? `?${q}` : ''}`);
  });
  const section = h('section', { 'aria-labelledby': 'changes-heading' }, h('h2', { id: 'changes-heading' }, 'Changes'), form);
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  let skipped = null;
  try {
    const changesTable = await pagedTable(ui, {
      caption: 'What this run did to each object, and why',
      empty: query.size ? 'No change matches these filters.' : 'This run changed nothing.',
      load: async (cursor) => {
        const q = new URLSearchParams(query);
        if (cursor) q.set('cursor', cursor);
        const page = await get(`${base}/changes?${q}`);
        skipped ??= page.skipped;
        return { items: page.changes, nextCursor: page.nextCursor };
      },
    });
    section.append(skippedSummary(skipped), changesTable);
  } catch (err) {
    ui.showError(err, section);
  }
  return section;
}

/** Users the run left out without a row each (out of scope, excluded by pattern...): counts per reason and a sample. */
function skippedSummary(skipped) {
  const reasons = Object.entries(skipped?.byReason ?? {});
  if (!reasons.length) return '';
  return h(
    'div',
    { class: 'notice skipped', id: 'skipped-summary' },
    h('h3', {}, 'Skipped users'),
    h('ul', {}, reasons.map(([reason, n]) => h('li', {}, h('strong', {}, String(n)), ` ${reason}`))),
    skipped.sample?.length
      ? h('p', { class: 'hint' }, 'For example: ', skipped.sample.map((u) => `${u.userName ?? u.email ?? u.externalId} (${u.reason})`).join(', '))
      : '',
  );
}
