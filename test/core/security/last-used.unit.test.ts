import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/core/logging/index.js';
import { LastUsedRecorder } from '../../../src/core/security/last-used.js';
import type { Db } from '../../../src/core/store/index.js';

// The recorder never queries the database itself: it hands `db` to the touch function.
const db = {} as Db;

afterEach(() => vi.useRealTimers());

describe('LastUsedRecorder', () => {
  it('records a credential’s use once a minute, each credential on its own', () => {
    vi.useFakeTimers({ now: new Date('2026-12-07T10:00:00Z') });
    const touched: string[] = [];
    const recorder = new LastUsedRecorder({ db, logger: silentLogger(), credential: 'API key', touch: async (_db, id) => void touched.push(id) });
    recorder.record('a');
    recorder.record('a');
    recorder.record('b');
    vi.advanceTimersByTime(59_999);
    recorder.record('a');
    expect(touched).toEqual(['a', 'b']);
    vi.advanceTimersByTime(1);
    recorder.record('a');
    expect(touched).toEqual(['a', 'b', 'a']);
  });

  it('logs a failed write as a warning naming the kind of credential, and does not throw', async () => {
    const logger = silentLogger();
    const warn = vi.spyOn(logger, 'warn');
    const recorder = new LastUsedRecorder({ db, logger, credential: 'SCIM token', touch: () => Promise.reject(new Error('database gone')) });
    expect(() => recorder.record('t')).not.toThrow();
    await vi.waitFor(() => expect(warn).toHaveBeenCalledWith('could not record SCIM token use', expect.objectContaining({ error: expect.any(Error) })));
  });
});
