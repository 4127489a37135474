/** A ProviderContext for the fake instance (no test framework imports). */
import winston from 'winston';
import type { ProviderContext } from '../../../src/pull/providers/types.js';
import type { FakeZitadel } from './server.js';

export function fakeZitadelContext(fake: FakeZitadel, options: { settings?: Record<string, unknown>; secrets?: Record<string, unknown>; concurrency?: number } = {}): ProviderContext {
  return {
    settings: { baseUrl: fake.url, retryDelayMs: 5, serverErrorRetries: 1, throttleBudgetSeconds: 3, ...options.settings },
    secrets: options.secrets ?? { personalAccessToken: 'test-pat' },
    logger: winston.createLogger({ silent: true }),
    stats: { apiRequests: 0, throttled: 0 },
    concurrency: options.concurrency ?? 4,
  };
}
