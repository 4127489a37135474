/**
 * A connection's attribute expressions (JSONata over the IdP's raw user
 * record): the standard fields and named custom attributes. Preview runs the
 * unsaved expressions on a few real users of the IdP; Save stores them in the
 * connection's settings, where the server validates them again.
 */
import { get, patch, post } from './api.js';
import { h } from './dom.js';

const FIELDS = ['userName', 'email', 'displayName', 'givenName', 'familyName'];

export async function expressionsView(ui, id) {
  const [connection, { kinds }] = await Promise.all([get(`/connections/${id}`), get('/connection-kinds')]);
  const secretFields = kinds.find((k) => k.kind === connection.kind)?.secretFields ?? [];
  const current = connection.settings.expressions ?? {};
  const label = `${connection.tenant}/${connection.name}`;

  const fieldInputs = FIELDS.map((f) => h('input', { id: `expr-${f}`, name: f, class: 'code', autocomplete: 'off', spellcheck: 'false', value: current.fields?.[f] ?? '' }));
  const customRows = h('div', { id: 'custom-rows' });
  let n = 0;
  const addCustom = (name = '', expression = '') => {
    const i = n++;
    const nameInput = h('input', { id: `custom-name-${i}`, class: 'custom-name', autocomplete: 'off', value: name, pattern: '[A-Za-z][A-Za-z0-9_]*' });
    const exprInput = h('input', { id: `custom-expr-${i}`, class: 'custom-expr code', autocomplete: 'off', spellcheck: 'false', value: expression });
    const remove = h('button', { type: 'button', 'aria-label': `Remove custom attribute ${name || i + 1}` }, 'Remove');
    const row = h('div', { class: 'custom-row inline-form' },
      h('div', { class: 'field' }, h('label', { for: `custom-name-${i}` }, 'Attribute name'), nameInput),
      h('div', { class: 'field grow' }, h('label', { for: `custom-expr-${i}` }, 'Expression'), exprInput),
      remove);
    remove.addEventListener('click', () => {
      row.remove();
      ui.announce('Custom attribute removed (not saved yet).');
    });
    customRows.append(row);
    return nameInput;
  };
  for (const [name, expression] of Object.entries(current.custom ?? {})) addCustom(name, expression);

  const expressions = () => {
    const fields = Object.fromEntries(FIELDS.map((f, i) => [f, fieldInputs[i].value.trim()]).filter(([, v]) => v));
    const custom = Object.fromEntries([...customRows.querySelectorAll('.custom-row')]
      .map((row) => [row.querySelector('.custom-name').value.trim(), row.querySelector('.custom-expr').value.trim()])
      .filter(([k, v]) => k && v));
    return { ...(Object.keys(fields).length ? { fields } : {}), ...(Object.keys(custom).length ? { custom } : {}) };
  };

  const add = h('button', { type: 'button' }, 'Add custom attribute');
  add.addEventListener('click', () => addCustom().focus());
  const count = h('input', { id: 'preview-users', type: 'number', min: '1', max: '20', value: '5' });
  const previewButton = h('button', { type: 'button' }, 'Preview');
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save expressions');
  const results = h('div', { id: 'preview-results', 'aria-live': 'polite' });

  const form = h(
    'form',
    { class: 'stacked-form' },
    h('fieldset', {}, h('legend', {}, 'Standard fields'),
      h('p', { class: 'hint', id: 'fields-hint' }, 'Empty: the provider\'s own mapping. Examples: $lowercase(mail), givenName & " " & surname, onPremisesExtensionAttributes.extensionAttribute1'),
      FIELDS.map((f, i) => h('div', { class: 'field' }, h('label', { for: `expr-${f}` }, f), fieldInputs[i]))),
    h('fieldset', {}, h('legend', {}, 'Custom attributes'), customRows, h('p', {}, add)),
    h('div', { class: 'inline-form' }, h('div', { class: 'field' }, h('label', { for: 'preview-users' }, 'Users to preview'), count), previewButton,
      h('span', { class: 'hint' }, 'reads a few real users from the IdP now; saves nothing')),
    results,
    h('p', {}, save, ' ', h('a', { href: `#/connections/${id}` }, 'Cancel')),
  );

  previewButton.addEventListener('click', async () => {
    previewButton.disabled = true;
    ui.clearError(form);
    results.replaceChildren(h('p', { class: 'muted' }, 'Reading users from the IdP…'));
    try {
      const answer = await post(`/connections/${id}/attribute-preview`, { expressions: expressions(), users: Number(count.value) || 5 });
      results.replaceChildren(previewTable(answer.users));
      const failing = answer.users.filter((u) => u.errors.length).length;
      ui.announce(`Preview of ${answer.users.length} users${failing ? `: ${failing} with errors` : ', no errors'}.`);
    } catch (err) {
      results.replaceChildren();
      ui.showError(err, form);
    } finally {
      previewButton.disabled = false;
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    ui.clearError(form);
    // Secrets show as "(set)": left out, the stored ones stay.
    const settings = Object.fromEntries(Object.entries(connection.settings).filter(([k]) => !secretFields.includes(k) && k !== 'expressions'));
    const value = expressions();
    try {
      await patch(`/connections/${id}`, { settings: Object.keys(value).length ? { ...settings, expressions: value } : settings });
      ui.announce('Expressions saved: the next sync applies them.');
      ui.go(`#/connections/${id}`);
    } catch (err) {
      ui.showError(err, form);
    }
  });

  ui.main.replaceChildren(
    h('p', {}, h('a', { href: `#/connections/${id}` }, `← ${label}`)),
    h('h1', { tabindex: '-1' }, `Attribute expressions of ${label}`),
    h('p', {}, 'Each value is a ', h('a', { href: 'https://docs.jsonata.org/', rel: 'noreferrer' }, 'JSONata'), ' expression over the IdP\'s user record: lower-case, concatenate, fall back, replace with a regex.'),
    form,
  );
}

function previewTable(users) {
  if (!users.length) return h('p', {}, 'The IdP returned no users.');
  const customNames = [...new Set(users.flatMap((u) => Object.keys(u.custom ?? {})))];
  const headers = ['User', ...FIELDS.filter((f) => f !== 'userName'), ...customNames, 'Errors'];
  const show = (v) => (v === undefined || v === null ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return h('table', { class: 'preview' },
    h('caption', {}, 'What these expressions give, for real users (nothing saved)'),
    h('thead', {}, h('tr', {}, headers.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, users.map((u) => h('tr', { dataset: { user: u.userName ?? u.externalId }, class: u.errors.length ? 'has-errors' : '' },
      h('th', { scope: 'row' }, show(u.fields?.userName ?? u.userName)),
      FIELDS.filter((f) => f !== 'userName').map((f) => h('td', {}, show(u.fields?.[f]))),
      customNames.map((c) => h('td', {}, show(u.custom?.[c]))),
      h('td', { class: 'errors' }, u.errors.map((e) => h('div', { class: 'reason' }, `${e.field}: ${e.message}`)))))));
}
