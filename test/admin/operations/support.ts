import { randomBytes } from 'node:crypto';
import { silentLogger } from '../../../src/core/logging/index.js';
import { operationNamed, runOperation, type OperationContext } from '../../../src/admin/operations/index.js';
import { SecretKeyring } from '../../../src/core/secrets/index.js';
import type { Store } from '../../../src/core/store/index.js';

export const TEST_SECRET_KEY = randomBytes(32).toString('base64');

export function operationContext(store: Store, keyring?: SecretKeyring): OperationContext {
  return {
    store,
    keyring: keyring ?? new SecretKeyring({ secretKey: TEST_SECRET_KEY, backend: store.backend, dataDir: undefined }),
    logger: silentLogger(),
    actor: { type: 'cli', id: 'tester' },
  };
}

/** Run an operation by name, the way the CLI and the server do. */
export function op<T = any>(ctx: OperationContext, name: string, input: Record<string, unknown> = {}): Promise<T> {
  return runOperation(ctx, operationNamed(name), input) as Promise<T>;
}
