/**
 * Encoding a bulk statement's JSON parameter without a second copy.
 *
 * JSON.stringify builds a long result as a rope (a V8 cons string of its
 * parts, past ~16 KB). postgres.js must flatten the rope to write it to the
 * socket, which copies the whole document once more, and that copy lives as
 * long as the statement does; a first sync binds hundreds of MB this way.
 * Array.prototype.join writes its result flat in one allocation, so a
 * document joined from its items' JSON is bound as it is.
 */

/** `JSON.stringify(items)`, as one flat string. */
export function flatJsonArray(items: readonly unknown[]): string {
  if (items.length === 0) return '[]';
  const parts: string[] = new Array(items.length * 2 + 1);
  parts[0] = '[';
  for (let i = 0; i < items.length; i++) {
    parts[2 * i + 1] = JSON.stringify(items[i] ?? null);
    parts[2 * i + 2] = ',';
  }
  parts[parts.length - 1] = ']';
  return parts.join('');
}
