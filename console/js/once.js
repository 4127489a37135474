/**
 * A secret shown once (a webhook's signing secret, a new API key): it lives
 * only in this element until the page changes. Not stored anywhere; the
 * server never shows it again.
 */
import { h } from './dom.js';

export function shownOnce(ui, { id, title, value, hint }) {
  const output = h('output', { id, class: 'secret', tabindex: '0', 'aria-describedby': `${id}-hint` }, value);
  const copy = h('button', { type: 'button' }, 'Copy');
  copy.addEventListener('click', async () => {
    // The Clipboard API needs a secure context (https or localhost); elsewhere, select it for Ctrl+C.
    try {
      await navigator.clipboard.writeText(value);
      ui.announce('Copied to the clipboard.');
    } catch {
      getSelection()?.selectAllChildren(output);
      ui.announce('Copying is not allowed here: the value is selected, press Ctrl+C (or ⌘C).');
    }
  });
  return h(
    'div',
    { class: 'notice once' },
    h('p', {}, h('strong', {}, title)),
    h('p', {}, output, ' ', copy),
    h('p', { class: 'hint', id: `${id}-hint` }, hint ?? 'Copy it now: it is shown only this once, and Roster cannot show it again.'),
  );
}
