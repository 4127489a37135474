/**
 * One run: its figures, then every change it made, paged and filtered (kind,
 * outcome, user). A held run first lists exactly whom its plan would
 * deactivate or delete, and only after that list the Approve and Reject buttons.
 */
import { get, post } from './api.js';
import { changes, duration, facts, h, when } from './dom.js';
import { pagedTable } from './log.js';

const KINDS = ['user', 'group', 'membership', 'role'];
const OUTCOMES = ['created', 'updated', 'deactivated', 'reactivated', 'deleted', 'added', 'removed', 'granted', 'revoked', 'skipped', 'held', 'failed'];
const HELD_PAGE = 500;

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
  if (run?.status === 'held') parts.push(heldSection(ui, base, connectionId, runId));
  parts.push(await changesSection(ui, base, connectionId, runId, filters));
  ui.main.replaceChildren(...parts);
}

function heldSection(ui, base, connectionId, runId) {
  const list = h('div', { id: 'held-list' }, h('p', { class: 'muted' }, 'Loading the users it would change…'));
  const approve = h('button', { type: 'button', class: 'primary', disabled: true }, 'Approve');
  const reject = h('button', { type: 'button', disabled: true }, 'Reject');
  const section = h(
    'section',
    { class: 'held', 'aria-labelledby': 'held-heading' },
    h('h2', { id: 'held-heading' }, 'Held: waiting for approval'),
    h('p', {}, 'This run would deactivate or delete more users than the connection\'s threshold allows, so nothing was applied. Check whom it affects:'),
    list,
    h('p', { class: 'actions' }, approve, ' applies this plan now. ', reject, ' drops it: nothing is applied, and the next run plans afresh.'),
  );
  // The buttons come alive once the list is on screen (or failed to load, which the alert says).
  const ready = () => { approve.disabled = false; reject.disabled = false; };
  get(`${base}/changes?outcome=held&limit=${HELD_PAGE}`)
    .then((page) => {
      const affected = page.changes;
      list.replaceChildren(
        h('p', { id: 'held-summary' }, `${affected.length}${page.nextCursor ? '+' : ''} change${affected.length === 1 ? '' : 's'} waiting:`),
        h('ul', { class: 'affected' }, affected.map((c) => h('li', { dataset: { action: c.action ?? '' } },
          h('strong', {}, (c.action ?? '').replace(/^user\./, '')), ' ', c.entity?.userName ?? c.entity?.externalId ?? c.entity?.id ?? '',
          c.reason ? h('span', { class: 'reason' }, ` (${c.reason})`) : ''))),
        ...(page.nextCursor ? [h('p', { class: 'hint' }, `Only the first ${HELD_PAGE} are listed: see all below, filtered by outcome "held".`)] : []),
      );
      ready();
    })
    .catch((err) => {
      list.replaceChildren();
      ui.showError(err, list);
      ready();
    });
  const act = (verb, button) => async () => {
    if (verb === 'reject' && !confirm('Reject this held run? Nothing of its plan is applied.')) return;
    approve.disabled = true;
    reject.disabled = true;
    ui.clearError(section);
    try {
      const result = await post(`${base}/${verb}`);
      ui.announce(verb === 'approve' ? `Approved: the run ${result.status}, ${changes(result.counts)}.` : `Rejected: the run is ${result.status}; nothing was applied.`);
      // An approval applies the plan as a new run: its page shows what was done.
      if (verb === 'approve' && result.runId && result.runId !== runId) ui.go(`#/connections/${connectionId}/runs/${result.runId}`);
      else await ui.refresh();
    } catch (err) {
      button.disabled = false;
      ui.showError(err, section);
    }
  };
  approve.addEventListener('click', act('approve', approve));
  reject.addEventListener('click', act('reject', reject));
  return section;
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
  try {
    section.append(await pagedTable(ui, {
      caption: 'What this run did to each object, and why',
      empty: query.size ? 'No change matches these filters.' : 'This run changed nothing.',
      load: async (cursor) => {
        const q = new URLSearchParams(query);
        if (cursor) q.set('cursor', cursor);
        const page = await get(`${base}/changes?${q}`);
        return { items: page.changes, nextCursor: page.nextCursor };
      },
    }));
  } catch (err) {
    ui.showError(err, section);
  }
  return section;
}
