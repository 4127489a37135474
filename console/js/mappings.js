/** Group-to-role mappings of the selected tenant: list, add, remove. Members get or lose the role at once. */
import { del, get, post } from './api.js';
import { h, table, when } from './dom.js';

/** The connection select's value for a tenant-wide mapping (never a connection id: those are uuids). */
const TENANT_WIDE = '*';

export async function mappingsView(ui) {
  const tenant = ui.tenant();
  if (!tenant) return noTenant(ui, 'Mappings');
  const base = `/tenants/${encodeURIComponent(tenant.slug)}`;
  const [{ mappings }, { roles }, { connections }] = await Promise.all([
    get(`${base}/mappings`),
    get(`${base}/roles`),
    get(`/connections?tenant=${encodeURIComponent(tenant.slug)}`),
  ]);
  const rerender = () => mappingsView(ui).catch((err) => ui.showError(err));

  const rows = mappings.map((m) => {
    const remove = h('button', { type: 'button', 'aria-label': `Remove mapping ${m.group} to ${m.role}` }, 'Remove');
    remove.addEventListener('click', async () => {
      if (!confirm(`Remove the mapping "${m.group}" → ${m.role}? Its members lose the role unless another mapping gives it.`)) return;
      try {
        await del(`${base}/mappings/${m.id}`);
        ui.announce(`Mapping ${m.group} to ${m.role} removed.`);
        await rerender();
      } catch (err) {
        ui.showError(err);
      }
    });
    return h(
      'tr',
      { dataset: { mapping: `${m.group}→${m.role}` } },
      h('td', {}, m.group),
      h('td', {}, m.matchBy === 'display_name' ? 'display name' : 'IdP id'),
      h('th', { scope: 'row' }, m.role),
      h('td', {}, m.tenantWide ? 'every connection (tenant-wide)' : (m.connection ?? m.connectionId)),
      h('td', {}, when(m.createdAt, '–')),
      h('td', {}, remove),
    );
  });

  const group = h('input', { id: 'mapping-group', name: 'group', required: true, autocomplete: 'off' });
  const matchBy = h('select', { id: 'mapping-match', name: 'matchBy' },
    h('option', { value: 'group' }, 'display name (case-insensitive)'), h('option', { value: 'groupId' }, 'IdP group id (exact)'));
  const role = h('select', { id: 'mapping-role', name: 'role', required: true }, roles.map((r) => h('option', { value: r.name }, r.name)));
  // No default: a mapping names its connection, or is tenant-wide by an explicit choice
  // (otherwise a SCIM push's same-named group would earn the role meant for another IdP).
  const connection = h('select', { id: 'mapping-connection', name: 'connection', required: true },
    h('option', { value: '' }, 'choose…'),
    connections.map((c) => h('option', { value: c.id }, c.name)),
    h('option', { value: TENANT_WIDE }, 'every connection (tenant-wide, SCIM pushes included)'));
  const form = h(
    'form',
    { class: 'inline-form', 'aria-labelledby': 'add-mapping-heading' },
    h('h2', { id: 'add-mapping-heading' }, 'Add a mapping'),
    h('div', { class: 'field' }, h('label', { for: 'mapping-group' }, 'Group'), group),
    h('div', { class: 'field' }, h('label', { for: 'mapping-match' }, 'Match the group by'), matchBy),
    h('div', { class: 'field' }, h('label', { for: 'mapping-role' }, 'Role'), role),
    h('div', { class: 'field' }, h('label', { for: 'mapping-connection' }, 'Connection'), connection),
    h('button', { type: 'submit', disabled: roles.length === 0 }, 'Add mapping'),
    roles.length ? null : h('p', { class: 'hint' }, 'This tenant has no roles yet: create one with ', h('code', {}, 'roster role create'), '.'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    ui.clearError(form);
    const scope = connection.value === TENANT_WIDE ? { tenantWide: true } : { connection: connection.value };
    const body = { [matchBy.value]: group.value.trim(), role: role.value, ...scope };
    try {
      const added = await post(`${base}/mappings`, body);
      ui.announce(`Mapping ${added.group} to ${added.role} added.`);
      await rerender();
    } catch (err) {
      ui.showError(err, form);
    }
  });

  ui.main.replaceChildren(
    h('h1', { tabindex: '-1' }, 'Group-to-role mappings'),
    h('p', {}, 'Members of a mapped group hold its role (source "idp"); roles granted by hand are never changed by sync.'),
    mappings.length ? table(`Mappings of ${tenant.name}`, ['Group', 'Matched by', 'Role', 'Connection', 'Added', ''], rows) : h('p', {}, 'No mappings yet.'),
    form,
  );
}

export function noTenant(ui, title) {
  ui.main.replaceChildren(h('h1', { tabindex: '-1' }, title), h('p', {}, 'No tenant yet. Create one with ', h('code', {}, 'roster tenant create'), '.'));
}
