/**
 * `sync.provision`: provision one user of a pull connection on demand, now,
 * and say what each step found (src/admin/provision). The API and `roster
 * sync <connection> --user` call it.
 */
import { z } from 'zod';
import { provisionUser, type ProvisionResult } from '../provision/index.js';
import { resolveConnection } from './resolve.js';
import { defineOperation } from './types.js';

const identifier = z.string().trim().min(1).max(512);

export const syncProvision = defineOperation({
  name: 'sync.provision',
  input: z.strictObject({
    connection: z.string().min(1),
    userName: identifier.optional(),
    email: identifier.optional(),
    externalId: identifier.optional(),
    /** The CLI's `--user`: a userName, an email or an externalId, tried in that order. */
    user: identifier.optional(),
    dryRun: z.boolean().optional(),
  }),
  async run(ctx, input): Promise<ProvisionResult> {
    const row = await resolveConnection(ctx.store.db, input.connection);
    const { connection: _ref, dryRun, ...lookup } = input;
    return provisionUser(
      { db: ctx.store.db, keyring: ctx.keyring, logger: ctx.logger, actor: ctx.actor, leaseTtlMs: ctx.syncLeaseMs },
      row,
      { label: `${row.tenant.slug}/${row.name}`, lookup, dryRun: dryRun ?? false },
    );
  },
});
