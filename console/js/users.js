/** User search (userName or email prefix) and a user's roles, with where each comes from, and groups. */
import { get } from './api.js';
import { facts, h, table, when } from './dom.js';
import { noTenant } from './mappings.js';
import { historySection, provisionSection } from './user-log.js';

const PAGE = 50;

export async function usersView(ui, q) {
  const tenant = ui.tenant();
  if (!tenant) return noTenant(ui, 'Users');
  const input = h('input', { id: 'user-q', name: 'q', type: 'search', value: q, autocomplete: 'off', 'aria-describedby': 'user-q-hint' });
  const form = h(
    'form',
    { role: 'search', class: 'inline-form', onsubmit: (event) => {
      event.preventDefault();
      ui.go(`#/users?q=${encodeURIComponent(input.value.trim())}`);
    } },
    h('div', { class: 'field' }, h('label', { for: 'user-q' }, 'Find users'), input,
      h('span', { class: 'hint', id: 'user-q-hint' }, 'the start of a userName or email, any case')),
    h('button', { type: 'submit' }, 'Search'),
  );
  const results = h('section', { 'aria-labelledby': 'results-heading' }, h('h2', { id: 'results-heading' }, q ? `Users matching "${q}"` : 'All users'));
  ui.main.replaceChildren(h('h1', { tabindex: '-1' }, 'Users'), form, results);

  const tbody = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'Show more');
  let offset = 0;
  const load = async () => {
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset), ...(q ? { q } : {}) });
    const page = await get(`/tenants/${encodeURIComponent(tenant.slug)}/users?${params}`);
    tbody.append(...page.users.map((u) => h(
      'tr',
      { dataset: { user: u.userName } },
      h('th', { scope: 'row' }, h('a', { href: `#/users/${encodeURIComponent(u.id)}` }, u.userName)),
      h('td', {}, u.email ?? ''),
      h('td', {}, u.displayName ?? ''),
      h('td', {}, u.active ? 'active' : 'inactive'),
    )));
    offset += page.users.length;
    more.hidden = !page.more;
    return page;
  };
  more.addEventListener('click', () => load().catch((err) => ui.showError(err, results)));
  const first = await load();
  if (first.users.length === 0) results.append(h('p', {}, 'No user matches.'));
  else results.append(h('table', {}, h('caption', {}, 'Users, by userName'),
    h('thead', {}, h('tr', {}, ['userName', 'Email', 'Name', 'State'].map((c) => h('th', { scope: 'col' }, c)))), tbody), more);
  const n = first.users.length;
  ui.announce(n ? `${n}${first.more ? '+' : ''} user${n === 1 && !first.more ? '' : 's'} found.` : 'No user matches.');
}

export async function userDetailView(ui, id) {
  const tenant = ui.tenant();
  if (!tenant) return noTenant(ui, 'User');
  const user = await get(`/tenants/${encodeURIComponent(tenant.slug)}/users/${encodeURIComponent(id)}`);
  const source = (r) => (r.source === 'idp' ? 'from a group mapping (idp)' : `granted by hand (manual${r.grantedBy ? `, by ${r.grantedBy}` : ''})`);
  ui.main.replaceChildren(
    h('p', {}, h('a', { href: '#/users' }, '← Users')),
    h('h1', { tabindex: '-1' }, user.userName),
    facts([
      ['Name', user.displayName ?? '–'],
      ['Email', user.email ?? '–'],
      ['State', user.active ? 'active' : ['inactive since ', when(user.deactivatedAt, 'unknown')]],
      ['External id', user.externalId ?? '–'],
      ['Updated', when(user.updatedAt)],
      ...Object.entries(user.customAttributes ?? {}).map(([name, value]) => [name, typeof value === 'object' ? JSON.stringify(value) : String(value)]),
    ]),
    h('section', { 'aria-labelledby': 'roles-heading' }, h('h2', { id: 'roles-heading' }, 'Roles'),
      user.roles.length
        ? table(`Roles of ${user.userName}`, ['Role', 'Source'], user.roles.map((r) => h('tr', { dataset: { role: r.name } }, h('th', { scope: 'row' }, r.name), h('td', { class: `source-${r.source}` }, source(r)))))
        : h('p', {}, 'No roles.')),
    h('section', { 'aria-labelledby': 'groups-heading' }, h('h2', { id: 'groups-heading' }, 'Groups'),
      user.groups.length ? h('ul', { class: 'groups' }, user.groups.map((g) => h('li', {}, g.displayName))) : h('p', {}, 'In no group.')),
    provisionSection(ui, user),
    historySection(ui, tenant, user),
  );
}
