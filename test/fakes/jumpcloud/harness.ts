/** A ProviderContext for the fake (no test framework imports: the benchmark and `roster demo` can use it). */
import winston from 'winston';
import type { ProviderContext } from '../../../src/pull/providers/types.js';
import type { FakeJumpCloud } from './server.js';

export function fakeJumpCloudContext(
  fake: FakeJumpCloud,
  options: { settings?: Record<string, unknown>; secrets?: Record<string, unknown>; concurrency?: number; signal?: AbortSignal } = {},
): ProviderContext {
  return {
    settings: { baseUrl: fake.url, insightsUrl: fake.insightsUrl, retryDelayMs: 5, ...options.settings },
    secrets: options.secrets ?? { apiKey: 'test-key' },
    logger: winston.createLogger({ silent: true }),
    stats: { apiRequests: 0, throttled: 0 },
    concurrency: options.concurrency ?? 4,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}
