/**
 * API keys: list (never the key), create (shown once), revoke. The server
 * decides what the signed-in key may do: a key restricted to one tenant
 * sees and makes only keys of its tenant, whatever this form asks.
 */
import { del, get, post } from './api.js';
import { h, table, when } from './dom.js';
import { shownOnce } from './once.js';

const EVERY_TENANT = '*';

export async function apiKeysView(ui, created) {
  const { keys } = await get('/api-keys');
  const tenants = ui.tenants();
  const rerender = (next) => apiKeysView(ui, next).catch((err) => ui.showError(err));

  const rows = keys.map((k) => {
    const revoke = h('button', { type: 'button', 'aria-label': `Revoke key ${k.name}`, disabled: k.status === 'revoked' }, 'Revoke');
    revoke.addEventListener('click', async () => {
      if (!confirm(`Revoke the key "${k.name}"? Whoever uses it is refused from the next request on.`)) return;
      try {
        await del(`/api-keys/${k.id}`);
        ui.announce(`Key ${k.name} revoked.`);
        await rerender();
      } catch (err) {
        ui.showError(err);
      }
    });
    return h(
      'tr',
      { dataset: { key: k.name }, class: `token-${k.status}` },
      h('th', { scope: 'row' }, k.name),
      h('td', {}, h('code', {}, `${k.prefix}…`)),
      h('td', {}, k.scope),
      h('td', {}, k.tenant ?? 'every tenant'),
      h('td', {}, when(k.createdAt, '–'), k.createdBy ? ` by ${k.createdBy}` : ''),
      h('td', {}, when(k.lastUsedAt)),
      h('td', {}, k.status),
      h('td', {}, revoke),
    );
  });

  const name = h('input', { id: 'key-name', name: 'name', required: true, maxlength: '200', autocomplete: 'off' });
  const scope = h('select', { id: 'key-scope', name: 'scope' },
    h('option', { value: 'admin' }, 'admin (this API and the console)'), h('option', { value: 'login-sync' }, 'login-sync (POST /login-sync only)'));
  const reach = h('select', { id: 'key-tenant', name: 'tenant', 'aria-describedby': 'key-tenant-hint' },
    tenants.map((t) => h('option', { value: t.slug }, `${t.name} (${t.slug}) only`)),
    h('option', { value: EVERY_TENANT }, 'every tenant (operator key)'));
  if (ui.tenant()) reach.value = ui.tenant().slug;
  const form = h(
    'form',
    { class: 'inline-form', 'aria-labelledby': 'add-key-heading' },
    h('h2', { id: 'add-key-heading' }, 'Create an API key'),
    h('div', { class: 'field' }, h('label', { for: 'key-name' }, 'Key name'), name),
    h('div', { class: 'field' }, h('label', { for: 'key-scope' }, 'Scope'), scope),
    h('div', { class: 'field' }, h('label', { for: 'key-tenant' }, 'Reaches'), reach),
    h('button', { type: 'submit' }, 'Create key'),
    h('p', { class: 'hint', id: 'key-tenant-hint' }, 'A key signed in for one tenant can only create keys of that tenant.'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    ui.clearError(form);
    try {
      const body = { name: name.value.trim(), scope: scope.value, ...(reach.value === EVERY_TENANT ? {} : { tenant: reach.value }) };
      const key = await post('/api-keys', body);
      ui.announce(`Key ${key.name} created. Copy it now: it is shown only once.`);
      await rerender(key);
      document.getElementById('key-value')?.focus();
    } catch (err) {
      ui.showError(err, form);
    }
  });

  ui.main.replaceChildren(
    h('h1', { tabindex: '-1' }, 'API keys'),
    created
      ? shownOnce(ui, { id: 'key-value', title: `New key "${created.name}" (${created.scope}, ${created.tenant ?? 'every tenant'}):`, value: created.key, hint: 'Copy it now: it is shown only this once, and only its hash is kept.' })
      : null,
    keys.length ? table('API keys, oldest first', ['Name', 'Prefix', 'Scope', 'Reaches', 'Created', 'Last used', 'Status', ''], rows) : h('p', {}, 'No keys.'),
    form,
  );
}
