/**
 * A user's page, the log side: their history (every change to them, from
 * runs, SCIM requests, logins and admins, with why), and "Provision now":
 * a dry run first, showing each step, then applying it on request.
 */
import { get, post } from './api.js';
import { h } from './dom.js';
import { pagedTable, section } from './log.js';

export function historySection(ui, tenant, user) {
  return section(ui, 'history-heading', 'History', () => pagedTable(ui, {
    caption: `Changes to ${user.userName}, newest first`,
    empty: 'No recorded change.',
    load: async (cursor) => {
      const q = new URLSearchParams({ limit: '50', ...(cursor ? { cursor } : {}) });
      const page = await get(`/tenants/${encodeURIComponent(tenant.slug)}/users/${encodeURIComponent(user.id)}/history?${q}`);
      return { items: page.history, nextCursor: page.nextCursor };
    },
  }));
}

export function provisionSection(ui, user) {
  const result = h('div', { id: 'provision-result' });
  const start = h('button', { type: 'button' }, 'Provision now');
  const sectionEl = h(
    'section',
    { 'aria-labelledby': 'provision-heading' },
    h('h2', { id: 'provision-heading' }, 'Provision on demand'),
    h('p', {}, 'Fetch this user and their groups from the IdP now, and bring Roster up to date. A dry run shows each step first; nothing changes until you apply it.'),
    h('p', {}, start),
    result,
  );
  const run = async (dryRun) => {
    ui.clearError(sectionEl);
    const answer = await post(`/connections/${user.connectionId}/provision`, { userName: user.userName, dryRun });
    return answer;
  };
  start.addEventListener('click', async () => {
    start.disabled = true;
    result.replaceChildren(h('p', { class: 'muted' }, 'Dry run…'));
    try {
      const preview = await run(true);
      const apply = h('button', { type: 'button', class: 'primary' }, 'Apply');
      const cancel = h('button', { type: 'button' }, 'Cancel');
      const changing = !['no-change', 'skipped', 'not-found'].includes(preview.outcome);
      result.replaceChildren(steps(preview, 'Dry run'), ...(changing ? [h('p', { class: 'actions' }, apply, ' ', cancel)] : []));
      ui.announce(`Dry run: ${preview.outcome}. ${changing ? 'Apply to make these changes.' : 'Nothing to apply.'}`);
      start.disabled = false;
      cancel.addEventListener('click', () => {
        result.replaceChildren();
        ui.announce('Nothing applied.');
        start.focus();
      });
      apply.addEventListener('click', async () => {
        apply.disabled = true;
        cancel.disabled = true;
        try {
          const done = await run(false);
          result.replaceChildren(steps(done, 'Applied'));
          ui.announce(`Provisioned: ${done.outcome}.`);
        } catch (err) {
          apply.disabled = false;
          cancel.disabled = false;
          ui.showError(err, sectionEl);
        }
      });
    } catch (err) {
      result.replaceChildren();
      start.disabled = false;
      ui.showError(err, sectionEl);
    }
  });
  return sectionEl;
}

/** The steps as Entra shows them: fetched → matched → in scope → attributes → groups → applied. */
function steps(answer, what) {
  return h(
    'div',
    { class: `steps outcome-${answer.outcome}` },
    h('p', {}, h('strong', {}, `${what}: ${answer.outcome}`)),
    h('table', {},
      h('caption', {}, `${what}, step by step`),
      h('thead', {}, h('tr', {}, ['Step', 'Status', 'Time', 'What happened'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, answer.steps.map((s) => h('tr', { dataset: { step: s.step }, class: `step-${s.status}` },
        h('th', { scope: 'row' }, s.step),
        h('td', {}, h('span', { class: `badge step step-${s.status}` }, s.status)),
        h('td', { class: 'num' }, `${s.ms} ms`),
        h('td', {}, s.summary))))),
  );
}
