/** Search the selected tenant's audit log: by action, user, actor and time, newest first, paged. */
import { get } from './api.js';
import { h } from './dom.js';
import { noTenant } from './mappings.js';
import { pagedTable } from './log.js';

const FILTERS = [
  ['action', 'Action', 'user.deactivated, role.granted, connection.updated…'],
  ['user', 'User', 'id or userName'],
  ['actor', 'Actor', 'api-key:console, ROSTER_ADMIN_TOKEN…'],
];

/** `filters`: the search as the URL holds it, so a result can be bookmarked and shared. */
export async function auditView(ui, filters = {}) {
  const tenant = ui.tenant();
  if (!tenant) return noTenant(ui, 'Audit log');
  const inputs = Object.fromEntries(FILTERS.map(([name, , hint]) => [name,
    h('input', { id: `audit-${name}`, name, type: 'search', autocomplete: 'off', value: filters[name] ?? '', placeholder: hint })]));
  // datetime-local in the admin's time zone; the URL and the API hold ISO.
  const local = (iso) => (iso ? new Date(new Date(iso).getTime() - new Date(iso).getTimezoneOffset() * 60_000).toISOString().slice(0, 16) : '');
  const from = h('input', { id: 'audit-from', name: 'from', type: 'datetime-local', value: local(filters.from) });
  const to = h('input', { id: 'audit-to', name: 'to', type: 'datetime-local', value: local(filters.to) });
  const form = h(
    'form',
    { class: 'inline-form', role: 'search', 'aria-label': 'Search the audit log' },
    FILTERS.map(([name, label]) => h('div', { class: 'field' }, h('label', { for: `audit-${name}` }, label), inputs[name])),
    h('div', { class: 'field' }, h('label', { for: 'audit-from' }, 'From'), from),
    h('div', { class: 'field' }, h('label', { for: 'audit-to' }, 'To'), to),
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const [name] of FILTERS) if (inputs[name].value.trim()) q.set(name, inputs[name].value.trim());
    if (from.value) q.set('from', new Date(from.value).toISOString());
    if (to.value) q.set('to', new Date(to.value).toISOString());
    ui.go(`#/audit${q.size ? `?${q}` : ''}`);
  });

  const results = h('section', { 'aria-labelledby': 'audit-results-heading' }, h('h2', { id: 'audit-results-heading' }, 'Events'));
  ui.main.replaceChildren(h('h1', { tabindex: '-1' }, 'Audit log'), form, results);
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  try {
    results.append(await pagedTable(ui, {
      caption: `Audit events of ${tenant.name}, newest first`,
      empty: query.size ? 'No event matches this search.' : 'No events yet.',
      noun: 'event',
      load: async (cursor) => {
        const q = new URLSearchParams(query);
        q.set('limit', '50');
        if (cursor) q.set('cursor', cursor);
        const page = await get(`/tenants/${encodeURIComponent(tenant.slug)}/audit?${q}`);
        return { items: page.events, nextCursor: page.nextCursor };
      },
    }));
  } catch (err) {
    ui.showError(err, results);
  }
}
