/**
 * The SCIM panel of a connection that takes pushes: the base URL to give the
 * IdP, tokens (generated and shown once, listed with last use, revoked).
 * A new token lives only in this panel's DOM until the page changes: it is
 * not stored, and the server never shows it again.
 */
import { del, get, post } from './api.js';
import { h, table, when } from './dom.js';

export async function scimPanel(ui, connection) {
  const base = `${location.origin}/scim/v2`;
  const section = h('section', { class: 'scim', 'aria-labelledby': 'scim-heading' }, h('h2', { id: 'scim-heading' }, 'SCIM provisioning'));
  const listHolder = h('div', {});
  const created = h('div', { id: 'new-token' });

  const renderTokens = async () => {
    const { tokens } = await get(`/connections/${connection.id}/scim-tokens`);
    listHolder.replaceChildren(
      tokens.length
        ? table('SCIM tokens', ['Name', 'Prefix', 'Created', 'Last used', 'Expires', 'Status', ''], tokens.map((t) => tokenRow(t)))
        : h('p', {}, 'No tokens yet: generate one for the IdP.'),
    );
  };

  const tokenRow = (t) => {
    const revoke = h('button', { type: 'button', 'aria-label': `Revoke token ${t.name}` }, 'Revoke');
    revoke.disabled = t.status === 'revoked';
    revoke.addEventListener('click', async () => {
      if (!confirm(`Revoke the token "${t.name}"? The IdP using it is refused from its next request on.`)) return;
      ui.clearError(section);
      try {
        await del(`/connections/${connection.id}/scim-tokens/${t.id}`);
        await renderTokens();
        ui.announce(`Token ${t.name} revoked.`);
      } catch (err) {
        ui.showError(err, section);
      }
    });
    return h(
      'tr',
      { dataset: { token: t.name } },
      h('th', { scope: 'row' }, t.name),
      h('td', {}, h('code', {}, `${t.prefix}…`)),
      h('td', {}, when(t.createdAt)),
      h('td', {}, when(t.lastUsedAt)),
      h('td', {}, when(t.expiresAt, 'never')),
      h('td', { class: `token-${t.status}` }, t.status),
      h('td', {}, revoke),
    );
  };

  const name = h('input', { id: 'token-name', name: 'token-name', required: true, maxlength: '200', autocomplete: 'off' });
  const expires = h('input', { id: 'token-expires', name: 'token-expires', placeholder: '90d', autocomplete: 'off', 'aria-describedby': 'token-expires-hint' });
  const form = h(
    'form',
    { class: 'inline-form' },
    h('h3', {}, 'Generate a token'),
    h('div', { class: 'field' }, h('label', { for: 'token-name' }, 'Token name'), name),
    h('div', { class: 'field' }, h('label', { for: 'token-expires' }, 'Expires after (optional)'), expires,
      h('span', { class: 'hint', id: 'token-expires-hint' }, '90d, 12h, 2w or a date; empty = never')),
    h('button', { type: 'submit' }, 'Generate token'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    ui.clearError(section);
    try {
      const body = { name: name.value.trim(), ...(expires.value.trim() ? { expires: expires.value.trim() } : {}) };
      const token = await post(`/connections/${connection.id}/scim-tokens`, body);
      created.replaceChildren(shownOnce(ui, token));
      form.reset();
      await renderTokens();
      ui.announce(`Token ${token.name} generated. Copy it now: it is shown only once.`);
      created.querySelector('output')?.focus();
    } catch (err) {
      ui.showError(err, section);
    }
  });

  section.append(
    h('p', {}, 'Give the IdP this base URL and a token. The token decides the connection.'),
    h('p', {}, h('span', { id: 'scim-base-label' }, 'Base URL: '), h('code', { id: 'scim-base-url', 'aria-labelledby': 'scim-base-label' }, base)),
    form,
    created,
    h('h3', {}, 'Tokens'),
    listHolder,
  );
  await renderTokens();
  return section;
}

function shownOnce(ui, token) {
  const value = h('output', { id: 'token-value', class: 'secret', tabindex: '0', 'aria-describedby': 'token-copy-hint' }, token.token);
  const copy = h('button', { type: 'button' }, 'Copy token');
  copy.addEventListener('click', async () => {
    // The Clipboard API needs a secure context (https or localhost); elsewhere, select it for Ctrl+C.
    try {
      await navigator.clipboard.writeText(token.token);
      ui.announce('Token copied to the clipboard.');
    } catch {
      getSelection()?.selectAllChildren(value);
      ui.announce('Copying is not allowed here: the token is selected, press Ctrl+C (or ⌘C).');
    }
  });
  return h(
    'div',
    { class: 'notice once' },
    h('p', {}, h('strong', {}, `New token "${token.name}":`)),
    h('p', {}, value, ' ', copy),
    h('p', { class: 'hint', id: 'token-copy-hint' }, 'Copy it now and store it in the IdP: it is shown only this once, and only its hash is kept.'),
  );
}
