/**
 * A held run, wherever it is shown (its connection's page, its own page):
 * first the list of exactly whom its plan would deactivate or delete, and
 * only below it the Approve and Reject buttons, which come alive once the
 * list is on screen (or failed to load, which the alert in it says).
 */
import { get, post } from './api.js';
import { changes, h, when } from './dom.js';

const HELD_PAGE = 500;
/** What a held plan waits to do (src/admin/operations/log-items.ts, heldItem). */
const PLAN_ACTIONS = new Set(['user.deactivate', 'user.delete', 'membership.remove', 'group.delete']);

/** `done(verb, result)`: what the page does once the run is approved or rejected. */
export function heldPanel(ui, { connectionId, run, done }) {
  const base = `/connections/${connectionId}/runs/${run.runId}`;
  const list = h('div', { id: 'held-list' }, h('p', { class: 'muted' }, 'Loading the users it would change…'));
  const approve = h('button', { type: 'button', class: 'primary', disabled: true }, 'Approve');
  const reject = h('button', { type: 'button', disabled: true }, 'Reject');
  const section = h(
    'section',
    { class: 'held', 'aria-labelledby': 'held-heading' },
    h('h2', { id: 'held-heading' }, 'Held run waiting for approval'),
    h('p', {}, 'The plan of the run started ', when(run.startedAt),
      ' would deactivate or delete more users than the connection\'s threshold allows, so nothing was applied. Whom it affects:'),
    list,
    h('p', { class: 'actions' }, approve, ' applies the held plan now. ', reject, ' drops it: nothing is applied, and the next run plans afresh.'),
  );
  const enable = (on) => {
    approve.disabled = !on;
    reject.disabled = !on;
  };
  get(`${base}/changes?outcome=held&limit=${HELD_PAGE}`)
    .then((page) => {
      // The plan's waiting changes, apart from users the run held back for another reason
      // (a userName another connection holds): approving applies the first list only.
      const affected = page.changes.filter((c) => PLAN_ACTIONS.has(c.action));
      const heldBack = page.changes.filter((c) => !PLAN_ACTIONS.has(c.action));
      const items = (changes) => h('ul', { class: 'affected' }, changes.map((c) => h('li', { dataset: { action: c.action ?? '' } },
        h('strong', {}, (c.action ?? '').replace(/^user\./, '')), ' ', c.entity?.userName ?? c.entity?.externalId ?? c.entity?.id ?? '',
        c.reason ? h('span', { class: 'reason' }, ` (${c.reason})`) : '')));
      list.replaceChildren(
        h('p', { id: 'held-summary' }, `${affected.length}${page.nextCursor ? '+' : ''} change${affected.length === 1 ? '' : 's'} waiting:`),
        items(affected),
        ...(heldBack.length ? [h('p', { class: 'hint' }, 'Also held back, and not applied by an approval:'), items(heldBack)] : []),
        ...(page.nextCursor ? [h('p', { class: 'hint' }, h('a', { href: `#/connections/${connectionId}/runs/${run.runId}?outcome=held` }, `Only the first ${HELD_PAGE} are listed: see them all`))] : []),
      );
      enable(true);
    })
    .catch((err) => {
      list.replaceChildren();
      ui.showError(err, list);
      enable(true);
    });
  const act = (verb) => async () => {
    if (verb === 'reject' && !confirm('Reject this held run? Nothing of its plan is applied.')) return;
    enable(false);
    ui.clearError(section);
    try {
      const result = await post(`${base}/${verb}`);
      // After the page re-renders: its own announcements ("3 changes shown") would replace this one.
      await done(verb, result);
      ui.announce(verb === 'approve' ? `Approved: the run ${result.status}, ${changes(result.counts)}.` : `Rejected: the run is ${result.status}; nothing was applied.`);
    } catch (err) {
      enable(true);
      ui.showError(err, section);
    }
  };
  approve.addEventListener('click', act('approve'));
  reject.addEventListener('click', act('reject'));
  return section;
}
