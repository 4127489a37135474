/**
 * The console's entry: sign-in, the tenant picker, and a hash router over
 * the views. Each view renders into <main> and gets a small `ui` object to
 * announce what happened (the aria-live status) and to show API errors in
 * the page (role="alert"): an error is never swallowed.
 */
import { ApiError, api, session, whenUnauthorized } from './api.js';
import { h } from './dom.js';
import { apiKeysView } from './api-keys.js';
import { auditView } from './audit.js';
import { connectionFormView } from './connection-form.js';
import { connectionDetailView, connectionsView } from './connections.js';
import { expressionsView } from './expressions.js';
import { mappingsView } from './mappings.js';
import { runView } from './run.js';
import { userDetailView, usersView } from './users.js';
import { webhooksView } from './webhooks.js';

const main = document.getElementById('main');
const status = document.getElementById('status');
const nav = document.getElementById('nav');
const sessionBar = document.getElementById('session');
const tenantSelect = document.getElementById('tenant');
const TENANT_ITEM = 'roster.tenant';

let tenants = [];
/** Which route() call is the latest: see route(). */
let generation = 0;

/** `?a=1&b=2` of a hash route as an object (undefined → {}). */
const params = (query) => Object.fromEntries(new URLSearchParams(query ?? ''));

const routes = [
  [/^#\/connections\/new$/, (ui) => connectionFormView(ui)],
  [/^#\/connections\/([\w-]+)\/edit$/, (ui, [id]) => connectionFormView(ui, id)],
  [/^#\/connections\/([\w-]+)\/expressions$/, (ui, [id]) => expressionsView(ui, id)],
  [/^#\/connections\/([\w-]+)\/runs\/([\w-]+)(?:\?(.*))?$/, (ui, [id, runId, q]) => runView(ui, id, runId, params(q))],
  [/^#\/connections\/([\w-]+)$/, (ui, [id]) => connectionDetailView(ui, id)],
  [/^#\/audit(?:\?(.*))?$/, (ui, [q]) => auditView(ui, params(q))],
  [/^#\/webhooks$/, (ui) => webhooksView(ui)],
  [/^#\/api-keys$/, (ui) => apiKeysView(ui)],
  [/^#\/mappings$/, (ui) => mappingsView(ui)],
  [/^#\/users\/([^/?]+)$/, (ui, [user]) => userDetailView(ui, decodeURIComponent(user))],
  [/^#\/users(?:\?q=(.*))?$/, (ui, [q]) => usersView(ui, q === undefined ? '' : decodeURIComponent(q))],
  [/^#\/connections$/, (ui) => connectionsView(ui)],
];

function announce(message) {
  // Cleared first so that the same message twice is announced twice.
  status.textContent = '';
  requestAnimationFrame(() => (status.textContent = message));
}

/** Put an error where the admin sees it (an alert in the page) and hears it. */
function showError(err, container = main) {
  const message = err instanceof ApiError ? err.describe() : `Unexpected error: ${err?.message ?? err}`;
  let box = container.querySelector(':scope > .error');
  if (!box) {
    box = h('div', { class: 'error', role: 'alert' });
    const heading = container.querySelector(':scope > h1, :scope > h2');
    if (heading) heading.after(box);
    else container.prepend(box);
  }
  box.textContent = message;
  if (!(err instanceof ApiError)) console.error(err);
}

function clearError(container = main) {
  container.querySelector(':scope > .error')?.remove();
}

const ui = {
  main,
  announce,
  showError,
  clearError,
  tenant: () => tenants.find((t) => t.slug === tenantSelect.value) ?? null,
  tenants: () => tenants,
  /** Resolves once the page the hash names is rendered (so what is announced after it is not overwritten). */
  go: (hash) => {
    if (location.hash === hash) return route();
    const rendered = new Promise((resolve) => routeWaiters.push(resolve));
    location.hash = hash;
    return rendered;
  },
  refresh: () => route({ keepFocus: true }),
};

/** Callers of `ui.go` waiting for the hashchange's render. */
const routeWaiters = [];

async function route(options) {
  try {
    await render(options);
  } finally {
    for (const resolve of routeWaiters.splice(0)) resolve();
  }
}

/** Render the view the hash names; focus its heading so a screen reader starts there. */
async function render({ keepFocus = false } = {}) {
  if (!session.key()) return showSignIn();
  const hash = location.hash || '#/connections';
  const [pattern, view] = routes.find(([re]) => re.test(hash)) ?? routes.at(-1);
  const args = (hash.match(pattern) ?? []).slice(1);
  for (const link of nav.querySelectorAll('a')) {
    if (hash.startsWith(`#/${link.dataset.section}`)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  // A view that answers after the admin has moved on (a slow page, then a click elsewhere)
  // must not paint over the newer one: each render only lands while its route is current.
  const token = ++generation;
  const current = () => token === generation;
  const viewUi = { ...ui, main: { replaceChildren: (...nodes) => current() && main.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined && n !== false)) } };
  try {
    await view(viewUi, args);
  } catch (err) {
    if (!current() || (err instanceof ApiError && err.status === 401)) return;
    main.replaceChildren(h('h1', { tabindex: '-1' }, 'Something went wrong'));
    showError(err);
  }
  if (!keepFocus && current()) main.querySelector('h1')?.focus();
}

function showSignIn(message) {
  nav.hidden = true;
  sessionBar.hidden = true;
  const input = h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'api-key-hint' });
  const problem = h('p', { class: 'error', role: 'alert', id: 'sign-in-problem', hidden: !message }, message ?? '');
  const form = h(
    'form',
    { class: 'sign-in', onsubmit: (event) => void signIn(event, input, problem) },
    h('label', { for: 'api-key' }, 'Admin API key'),
    input,
    h('p', { class: 'hint', id: 'api-key-hint' }, 'Create one with ', h('code', {}, 'roster api-key create --name console --scope admin'),
      '. It is kept in this tab only (sessionStorage) and forgotten when you sign out or close the tab.'),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  main.replaceChildren(h('h1', { tabindex: '-1' }, 'Sign in to Roster'), problem, form);
  input.focus();
}

async function signIn(event, input, problem) {
  event.preventDefault();
  const key = input.value.trim();
  problem.hidden = true;
  try {
    // Checking the key: any admin key may list the tenants it reaches.
    const answer = await api('GET', '/tenants', undefined, { key });
    session.signIn(key);
    input.value = '';
    setTenants(answer.tenants);
    announce('Signed in.');
    await route();
  } catch (err) {
    problem.hidden = false;
    if (err instanceof ApiError && err.status === 401) problem.textContent = `That key was refused: ${err.message}. Check it and try again.`;
    else if (err instanceof ApiError && err.status === 403) problem.textContent = `That key cannot use the admin console: ${err.message}.`;
    else problem.textContent = err instanceof ApiError ? err.describe() : String(err);
    input.focus();
  }
}

function setTenants(list) {
  tenants = list;
  const chosen = sessionStorage.getItem(TENANT_ITEM);
  tenantSelect.replaceChildren(...list.map((t) => h('option', { value: t.slug }, `${t.name} (${t.slug})`)));
  if (list.some((t) => t.slug === chosen)) tenantSelect.value = chosen;
  nav.hidden = false;
  sessionBar.hidden = false;
}

function signOut(message) {
  session.signOut();
  sessionStorage.removeItem(TENANT_ITEM);
  tenants = [];
  tenantSelect.replaceChildren();
  if (location.hash) history.replaceState(null, '', location.pathname);
  showSignIn(message);
}

whenUnauthorized((err) => signOut(`Signed out: the server refused the key (${err.message}). Sign in again with a valid admin key.`));

document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  announce('Signed out. The key was removed from this tab.');
});

tenantSelect.addEventListener('change', () => {
  sessionStorage.setItem(TENANT_ITEM, tenantSelect.value);
  announce(`Tenant ${tenantSelect.value} selected.`);
  void route();
});

window.addEventListener('hashchange', () => void route());

// The router owns the hash: the skip link moves focus instead of navigating to "#main".
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

async function start() {
  if (!session.key()) return showSignIn();
  try {
    setTenants((await api('GET', '/tenants')).tenants);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    main.replaceChildren(h('h1', { tabindex: '-1' }, 'Roster admin'));
    return showError(err);
  }
  await route();
}

void start();
