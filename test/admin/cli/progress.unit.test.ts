/** The CLI's progress line (src/admin/cli/progress.ts), drawn on a stream that records what it is sent. */
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../../src/admin/cli/progress.js';

describe('progress line', () => {
  it('draws nothing unless the stream is a terminal', () => {
    expect(progressLine({ write: () => true }, 'x')).toBeUndefined();
  });

  it('rewrites one line in place, at most ten times a second, and clears it when done', () => {
    let out = '';
    const line = progressLine({ write: (s: string) => (out += s), isTTY: true }, 'syncing acme/okta')!;
    line.update({ pages: 1, users: 200 });
    line.update({ pages: 2, users: 400 }); // within 100 ms: skipped
    expect(out).toMatch(/^\r\x1b\[2Ksyncing acme\/okta: pages 1 · users 200 · \d+\.\ds$/);
    line.done();
    expect(out.endsWith('\r\x1b[2K')).toBe(true);
  });
});
