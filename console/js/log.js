/**
 * The provisioning log's items (a run's changes, a user's history, audit
 * search results all share one shape) as table rows, and a table that pages
 * with the API's opaque cursor ("Show more" appends the next page).
 */
import { h, when } from './dom.js';

/** What moved: "email: a@x → b@x" for each field whose value differs between before and after. */
export function moved(before, after) {
  if (!before && !after) return '';
  if (!before) return summary(after);
  if (!after) return `was ${summary(before)}`;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${k}: ${show(before[k])} → ${show(after[k])}`)
    .join('; ');
}

const show = (v) => (v === undefined || v === null ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const summary = (o) => (typeof o === 'object' ? Object.entries(o).map(([k, v]) => `${k}: ${show(v)}`).join('; ') : show(o));

/** Where a change came from, in words: "sync run 1a2b…", "SCIM request r-9", "login", "admin tester". */
export function sourceOf(source) {
  if (!source) return '';
  const short = (id) => (id ? `${String(id).slice(0, 8)}…` : '');
  if (source.type === 'sync') return ['sync run ', source.runId ? h('code', { title: source.runId }, short(source.runId)) : ''];
  if (source.type === 'scim') return ['SCIM request ', source.requestId ? h('code', {}, source.requestId) : ''];
  if (source.type === 'login') return 'login';
  return `${source.type}${source.actorId ? ` ${source.actorId}` : ''}`;
}

/** The entity a change touched; a user links to their page. */
export function entityOf(entity) {
  if (!entity) return '';
  const name = entity.userName ?? entity.externalId ?? entity.id ?? '';
  if (entity.type === 'user' && entity.id) return h('a', { href: `#/users/${encodeURIComponent(entity.id)}` }, name);
  return entity.type === 'user' ? name : `${entity.type ?? ''} ${name}`.trim();
}

export const CHANGE_HEADERS = ['When', 'Outcome', 'Change', 'Who or what', 'What changed', 'Why', 'Source'];

export function changeRow(c) {
  return h(
    'tr',
    { class: `outcome-${c.outcome}`, dataset: { outcome: c.outcome ?? '', entity: c.entity?.userName ?? c.entity?.externalId ?? '' } },
    h('td', {}, when(c.at, '–')),
    h('td', {}, h('span', { class: `badge outcome outcome-${c.outcome}` }, c.outcome)),
    h('td', {}, h('code', {}, c.action ?? c.kind ?? '')),
    h('th', { scope: 'row' }, entityOf(c.entity)),
    h('td', { class: 'moved' }, moved(c.before, c.after)),
    h('td', { class: 'reason' }, c.reason ?? ''),
    h('td', {}, sourceOf(c.source)),
  );
}

/**
 * A table filled page by page. `load(cursor)` answers `{ items, nextCursor }`;
 * the first page loads at once. What was found is announced (aria-live).
 */
export async function pagedTable(ui, { caption, headers = CHANGE_HEADERS, row = changeRow, load, empty, noun = 'change' }) {
  const holder = h('div', { class: 'paged' });
  const tbody = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'Show more');
  let cursor = null;
  let shown = 0;
  const next = async () => {
    more.disabled = true;
    const page = await load(cursor);
    tbody.append(...page.items.map(row));
    shown += page.items.length;
    cursor = page.nextCursor;
    more.hidden = !cursor;
    more.disabled = false;
    ui.announce(`${shown}${cursor ? '+' : ''} ${noun}${shown === 1 && !cursor ? '' : 's'} shown.`);
    return page;
  };
  more.addEventListener('click', () => next().catch((err) => {
    more.disabled = false;
    ui.showError(err, holder);
  }));
  const first = await next();
  if (first.items.length === 0) holder.append(h('p', { class: 'empty' }, empty));
  else holder.append(h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, headers.map((c) => h('th', { scope: 'col' }, c)))), tbody), more);
  return holder;
}

/**
 * A section that loads its content on its own: a route the server does not
 * answer (an older server) or a failure shows as an alert in the section,
 * and the rest of the page stays usable.
 */
export function section(ui, id, title, build, level = 'h2') {
  const el = h('section', { 'aria-labelledby': id }, h(level, { id }, title));
  const loading = h('p', { class: 'muted' }, 'Loading…');
  el.append(loading);
  build(el)
    .then((content) => loading.replaceWith(...[content].flat().filter(Boolean)))
    .catch((err) => {
      loading.remove();
      ui.showError(err, el);
    });
  return el;
}
