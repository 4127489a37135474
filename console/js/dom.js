/**
 * Building the page from elements, never from HTML strings: every value from the API goes in as
 * text, so a group or user name can never become markup.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * h('button', { type: 'button', onclick }, 'Approve'): attributes, `on*`
 * listeners, and children (strings become text nodes; null/false are skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  return fill(el, attrs, children);
}

/** The same for SVG elements (the run chart). */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A `<time>` with the local date and time, and the ISO value for machines. */
export function when(iso, empty = 'never') {
  if (!iso) return h('span', { class: 'muted' }, empty);
  const date = new Date(iso);
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, `${date.toLocaleString()} (${ago(date)})`);
}

/** "3 min ago", "2 h ago", "4 d ago": how fresh a sync is, at a glance. */
export function ago(date) {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export function duration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${ms} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A run's changes, as "3 usersCreated, 1 membershipsAdded" (zero counts left out). */
export function changes(counts) {
  const parts = Object.entries(counts ?? {})
    .filter(([kind, n]) => n > 0 && kind !== 'rowsWritten')
    .map(([kind, n]) => `${n} ${kind}`);
  return parts.length ? parts.join(', ') : 'no changes';
}

export function totalChanges(counts) {
  return Object.entries(counts ?? {}).reduce((sum, [kind, n]) => (kind === 'rowsWritten' ? sum : sum + n), 0);
}

/** The health badge: the word itself is the information, colour only repeats it. */
export function healthBadge(health) {
  const word = health ?? 'unknown';
  return h('span', { class: `badge health-${word}` }, word);
}

export function table(caption, headers, rows) {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, rows),
  );
}

/** A definition list from [term, value] pairs. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}
