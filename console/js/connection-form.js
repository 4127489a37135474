/**
 * Create or edit a connection. The settings fields come from the kind's JSON
 * Schema (GET /connection-kinds), so every provider gets its form. Secrets
 * are write-only: never shown, blank keeps the stored one. Settings this form
 * does not show (the attribute expressions, edited on their own page) are
 * kept as they are.
 */
import { ApiError, get, patch, post } from './api.js';
import { h, when } from './dom.js';
import { noTenant } from './mappings.js';

/** Edited elsewhere (expressions.js) or here as dedicated fields, not as generic settings. */
const OWN_PAGE = new Set(['expressions']);
const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

export async function connectionFormView(ui, id) {
  const editing = id !== undefined;
  const tenant = ui.tenant();
  if (!editing && !tenant) return noTenant(ui, 'New connection');
  const [{ kinds }, connection] = await Promise.all([get('/connection-kinds'), editing ? get(`/connections/${id}`) : null]);
  const kindSelect = h('select', { id: 'conn-kind', name: 'kind', required: true }, kinds.map((k) => h('option', { value: k.kind }, k.kind)));
  const name = h('input', { id: 'conn-name', name: 'name', required: true, autocomplete: 'off', pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,62}', 'aria-describedby': 'conn-name-hint' });
  const settingsBox = h('fieldset', { class: 'settings' });
  const scheduleBox = h('fieldset', { class: 'schedules' });
  let fields = null;
  const kindOf = () => kinds.find((k) => k.kind === (editing ? connection.kind : kindSelect.value));
  const render = () => {
    const kind = kindOf();
    fields = settingsFields(kind, connection?.settings ?? {});
    settingsBox.replaceChildren(h('legend', {}, `${kind.kind} settings`), ...fields.elements);
    scheduleBox.hidden = kind.direction !== 'pull';
  };
  kindSelect.addEventListener('change', render);

  const schedule = h('input', { id: 'conn-schedule', name: 'schedule', autocomplete: 'off', value: connection?.schedule ?? '', placeholder: '*/30 * * * *', 'aria-describedby': 'conn-schedule-hint' });
  const fullSchedule = h('input', { id: 'conn-full-schedule', name: 'fullSchedule', autocomplete: 'off', value: connection?.fullSchedule ?? '', placeholder: '0 3 * * *', 'aria-describedby': 'conn-full-hint' });
  const threshold = h('input', { id: 'conn-threshold', name: 'deletionThreshold', autocomplete: 'off', value: thresholdText(connection?.deletionThreshold), placeholder: '50 or 10%', 'aria-describedby': 'conn-threshold-hint' });
  const enabled = h('input', { id: 'conn-enabled', name: 'enabled', type: 'checkbox', checked: connection ? connection.enabled : true });
  scheduleBox.append(
    h('legend', {}, 'Schedules (cron, UTC)'),
    h('div', { class: 'field' }, h('label', { for: 'conn-schedule' }, 'Sync schedule'), schedule,
      h('span', { class: 'hint', id: 'conn-schedule-hint' }, 'Delta syncs; empty: on demand only. ', nextRun('Next run', connection?.nextRuns?.sync))),
    h('div', { class: 'field' }, h('label', { for: 'conn-full-schedule' }, 'Full sync schedule'), fullSchedule,
      h('span', { class: 'hint', id: 'conn-full-hint' }, editing ? 'Empty: no periodic full sync. ' : 'Empty: a daily full sync at a time Roster picks. ',
        nextRun('Next full sync', connection?.nextRuns?.full))),
  );

  const form = h(
    'form',
    { class: 'stacked-form', novalidate: true },
    editing ? null : h('div', { class: 'field' }, h('label', { for: 'conn-kind' }, 'Kind'), kindSelect),
    editing ? null : h('div', { class: 'field' }, h('label', { for: 'conn-name' }, 'Name'), name,
      h('span', { class: 'hint', id: 'conn-name-hint' }, 'letters, digits, ".", "_" or "-"; unique in the tenant')),
    settingsBox,
    scheduleBox,
    h('fieldset', {}, h('legend', {}, 'Safety'),
      h('div', { class: 'field' }, h('label', { for: 'conn-threshold' }, 'Deletion threshold'), threshold,
        h('span', { class: 'hint', id: 'conn-threshold-hint' }, 'A run that would deactivate or delete more users than this (a count, or a percent of the connection\'s users) is held for approval.')),
      editing ? h('div', { class: 'field check' }, enabled, h('label', { for: 'conn-enabled' }, 'Enabled (scheduled syncs run)')) : null),
    h('p', {}, h('button', { type: 'submit', class: 'primary' }, editing ? 'Save changes' : 'Create connection'), ' ',
      h('a', { href: editing ? `#/connections/${id}` : '#/connections' }, 'Cancel')),
  );
  render();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    ui.clearError(form);
    const pull = kindOf().direction === 'pull';
    try {
      const settings = fields.value();
      let saved;
      if (editing) {
        const body = { settings, enabled: enabled.checked };
        if (pull) Object.assign(body, { schedule: schedule.value.trim() || null, fullSchedule: fullSchedule.value.trim() || null });
        if (threshold.value.trim()) body.deletionThreshold = threshold.value.trim();
        saved = await patch(`/connections/${id}`, body);
      } else {
        const body = { tenant: tenant.slug, name: name.value.trim(), kind: kindSelect.value, settings };
        if (pull && schedule.value.trim()) body.schedule = schedule.value.trim();
        if (pull && fullSchedule.value.trim()) body.fullSchedule = fullSchedule.value.trim();
        saved = await post('/connections', body);
        // The threshold is a setting of an existing connection: set right after it is made.
        if (threshold.value.trim()) saved = await patch(`/connections/${saved.id}`, { deletionThreshold: threshold.value.trim() });
      }
      ui.announce(editing ? `Connection ${saved.name} saved.` : `Connection ${saved.name} created.`);
      ui.go(`#/connections/${saved.id}`);
    } catch (err) {
      ui.showError(err, form);
      form.querySelector('[role="alert"]')?.scrollIntoView({ block: 'nearest' });
    }
  });

  ui.main.replaceChildren(
    editing ? h('p', {}, h('a', { href: `#/connections/${id}` }, `← ${connection.tenant}/${connection.name}`)) : h('p', {}, h('a', { href: '#/connections' }, '← Connections')),
    h('h1', { tabindex: '-1' }, editing ? `Edit ${connection.tenant}/${connection.name}` : `New connection in ${tenant.name}`),
    form,
  );
}

function nextRun(label, iso) {
  return iso ? h('span', { class: 'next-run' }, `${label}: `, when(iso)) : null;
}

function thresholdText(t) {
  if (!t) return '';
  if (t.percent !== null && t.percent !== undefined) return `${t.percent}%`;
  return t.count === null || t.count === undefined ? '' : String(t.count);
}

/**
 * The form's fields for a kind's settings, and `value()`: the settings to
 * send. Unknown or own-page settings are carried over unchanged; a blank
 * secret is left out (the stored one stays).
 */
function settingsFields(kind, current) {
  const props = kind.settings.properties ?? {};
  const required = new Set(kind.settings.required ?? []);
  const elements = [];
  const readers = [];
  for (const [key, schema] of Object.entries(props)) {
    if (OWN_PAGE.has(key)) continue;
    const fieldId = `set-${key}`;
    const secret = kind.secretFields.includes(key);
    const value = current[key];
    if (key === 'scope') {
      const groups = h('textarea', { id: 'set-scope-groups', rows: '3', 'aria-describedby': 'set-scope-groups-hint' }, (value?.groups ?? []).join('\n'));
      const patterns = h('textarea', { id: 'set-scope-exclude', rows: '3', 'aria-describedby': 'set-scope-exclude-hint' }, (value?.excludeEmailPatterns ?? []).join('\n'));
      elements.push(h('fieldset', { class: 'scope' }, h('legend', {}, 'Scope'),
        h('div', { class: 'field' }, h('label', { for: 'set-scope-groups' }, 'Only members of these groups'), groups,
          h('span', { class: 'hint', id: 'set-scope-groups-hint' }, 'one group id or display name a line; empty: every user')),
        h('div', { class: 'field' }, h('label', { for: 'set-scope-exclude' }, 'Excluded email patterns'), patterns,
          h('span', { class: 'hint', id: 'set-scope-exclude-hint' }, 'one glob a line, e.g. *@contractors.example'))));
      readers.push(() => {
        const scope = { ...(lines(groups.value).length ? { groups: lines(groups.value) } : {}), ...(lines(patterns.value).length ? { excludeEmailPatterns: lines(patterns.value) } : {}) };
        return Object.keys(scope).length ? [key, scope] : null;
      });
      continue;
    }
    const type = schema.type ?? (Array.isArray(schema.anyOf) ? schema.anyOf.find((s) => s.type)?.type : undefined);
    const label = h('label', { for: fieldId }, key, required.has(key) ? ' (required)' : '');
    let input;
    let read;
    if (type === 'boolean') {
      input = h('select', { id: fieldId }, h('option', { value: '' }, 'default'), h('option', { value: 'true' }, 'yes'), h('option', { value: 'false' }, 'no'));
      input.value = value === undefined ? '' : String(value);
      read = () => (input.value === '' ? undefined : input.value === 'true');
    } else if (type === 'number' || type === 'integer') {
      input = h('input', { id: fieldId, type: 'number', value: value ?? '', step: type === 'integer' ? '1' : 'any' });
      read = () => (input.value === '' ? undefined : Number(input.value));
    } else if (type === 'string') {
      const isSet = secret && value !== undefined;
      input = h('input', { id: fieldId, type: secret ? 'password' : 'text', autocomplete: secret ? 'new-password' : 'off', value: secret ? '' : (value ?? ''),
        placeholder: isSet ? 'leave blank to keep' : '', 'aria-describedby': secret ? `${fieldId}-hint` : undefined });
      read = () => (input.value.trim() === '' ? undefined : input.value);
      if (secret) label.append(' (secret)');
      elements.push(h('div', { class: 'field' }, label, input, secret
        ? h('span', { class: 'hint', id: `${fieldId}-hint` }, isSet ? 'Set, never shown. Leave blank to keep it; type to replace it.' : 'Write-only: never shown after saving.')
        : null));
      readers.push(() => { const v = read(); return v === undefined ? null : [key, v]; });
      continue;
    } else {
      // Objects and arrays without a form of their own (attributeMapping, ...): JSON.
      input = h('textarea', { id: fieldId, rows: '3', class: 'json', 'aria-describedby': `${fieldId}-hint` }, value === undefined ? '' : JSON.stringify(value, null, 2));
      read = () => {
        if (!input.value.trim()) return undefined;
        try { return JSON.parse(input.value); } catch (err) { throw new ApiError(0, 'invalid_input', `${key}: not valid JSON (${err.message})`); }
      };
      elements.push(h('div', { class: 'field' }, label, input, h('span', { class: 'hint', id: `${fieldId}-hint` }, 'JSON')));
      readers.push(() => { const v = read(); return v === undefined ? null : [key, v]; });
      continue;
    }
    elements.push(h('div', { class: 'field' }, label, input));
    readers.push(() => { const v = read(); return v === undefined ? null : [key, v]; });
  }
  const value = () => {
    // Carried over: what this form does not edit (the expressions; a setting of a newer server).
    const kept = Object.fromEntries(Object.entries(current).filter(([k]) => !(k in props) || OWN_PAGE.has(k)));
    return { ...kept, ...Object.fromEntries(readers.map((r) => r()).filter(Boolean)) };
  };
  return { elements, value };
}
