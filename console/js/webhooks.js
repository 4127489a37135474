/** The selected tenant's webhooks: list with delivery state, add (secret shown once), delete. */
import { del, get, post } from './api.js';
import { h, table, when } from './dom.js';
import { noTenant } from './mappings.js';
import { shownOnce } from './once.js';

export async function webhooksView(ui, created) {
  const tenant = ui.tenant();
  if (!tenant) return noTenant(ui, 'Webhooks');
  const base = `/tenants/${encodeURIComponent(tenant.slug)}/webhooks`;
  const { webhooks } = await get(base);
  const rerender = (next) => webhooksView(ui, next).catch((err) => ui.showError(err));

  const rows = webhooks.map((w) => {
    const remove = h('button', { type: 'button', 'aria-label': `Delete webhook ${w.url}` }, 'Delete');
    remove.addEventListener('click', async () => {
      if (!confirm(`Delete the webhook to ${w.url}? Nothing more is sent to it.`)) return;
      try {
        await del(`${base}/${w.id}`);
        ui.announce(`Webhook ${w.url} deleted.`);
        await rerender();
      } catch (err) {
        ui.showError(err);
      }
    });
    const state = w.consecutiveFailures
      ? h('span', { class: 'reason' }, `${w.consecutiveFailures} failure${w.consecutiveFailures === 1 ? '' : 's'} in a row: ${w.lastError ?? ''}`)
      : w.enabled ? 'delivering' : 'disabled';
    return h(
      'tr',
      { dataset: { webhook: w.url } },
      h('th', { scope: 'row' }, h('code', {}, w.url)),
      h('td', {}, w.description ?? ''),
      h('td', {}, state),
      h('td', { class: 'num' }, w.deliveredThrough),
      h('td', {}, when(w.lastDeliveryAt)),
      h('td', {}, when(w.createdAt, '–')),
      h('td', {}, remove),
    );
  });

  const url = h('input', { id: 'webhook-url', name: 'url', type: 'url', required: true, autocomplete: 'off', placeholder: 'https://', 'aria-describedby': 'webhook-url-hint' });
  const description = h('input', { id: 'webhook-description', name: 'description', maxlength: '500', autocomplete: 'off' });
  const form = h(
    'form',
    { class: 'inline-form', 'aria-labelledby': 'add-webhook-heading' },
    h('h2', { id: 'add-webhook-heading' }, 'Add a webhook'),
    h('div', { class: 'field' }, h('label', { for: 'webhook-url' }, 'Endpoint URL'), url),
    h('div', { class: 'field' }, h('label', { for: 'webhook-description' }, 'Description (optional)'), description),
    h('button', { type: 'submit' }, 'Add webhook'),
    h('p', { class: 'hint', id: 'webhook-url-hint' }, 'https only, and not a private address unless the operator trusts the host. It receives the events from now on, signed with a secret shown once.'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    ui.clearError(form);
    try {
      const body = { url: url.value.trim(), ...(description.value.trim() ? { description: description.value.trim() } : {}) };
      const hook = await post(base, body);
      ui.announce(`Webhook ${hook.url} added. Copy its signing secret now: it is shown only once.`);
      await rerender(hook);
      document.getElementById('webhook-secret')?.focus();
    } catch (err) {
      ui.showError(err, form);
    }
  });

  ui.main.replaceChildren(
    h('h1', { tabindex: '-1' }, 'Webhooks'),
    h('p', {}, 'Roster posts the tenant\'s events (users, groups, roles, runs) to each endpoint in order, signed with its secret, and retries until it answers 2xx.'),
    created ? shownOnce(ui, { id: 'webhook-secret', title: `Signing secret of ${created.url}:`, value: created.secret, hint: 'Copy it now and give it to the receiver to check signatures: it is shown only this once.' }) : null,
    webhooks.length
      ? table(`Webhooks of ${tenant.name}`, ['Endpoint', 'Description', 'State', 'Delivered through event', 'Last delivery', 'Added', ''], rows)
      : h('p', {}, 'No webhooks yet.'),
    form,
  );
}
