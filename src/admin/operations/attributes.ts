/**
 * `connection.attribute-preview`: what a pull connection's attribute
 * expressions (the stored ones, or unsaved ones given here) give for a few
 * real users, read live from the IdP. Nothing is saved.
 */
import { z } from 'zod';
import { ValidationError } from '../../core/errors/index.js';
import { compileMapping } from '../../core/mapping/index.js';
import { pullDescriptorOf, pullKindsInWords } from '../../pull/providers/index.js';
import { decryptConnectionSecrets, providerContext } from '../../pull/providers/open.js';
import { previewAttributes, type PreviewUser } from '../../pull/providers/preview.js';
import { resolveConnection } from './resolve.js';
import { defineOperation } from './types.js';

export const PREVIEW_USERS = { default: 5, max: 20 } as const;

export const connectionAttributePreview = defineOperation({
  name: 'connection.attribute-preview',
  input: z.strictObject({
    connection: z.string().min(1),
    /** Unsaved expressions (`settings.expressions`' shape); the connection's own when left out. */
    expressions: z.unknown().optional(),
    users: z.number().int().min(1).max(PREVIEW_USERS.max).optional(),
  }),
  async run(ctx, input): Promise<{ connection: string; users: PreviewUser[] }> {
    const row = await resolveConnection(ctx.store.db, input.connection);
    const label = `${row.tenant.slug}/${row.name}`;
    if (!pullDescriptorOf(row.kind)) throw new ValidationError(`connection ${label} is of kind ${row.kind}: a preview reads users from the IdP, which only ${pullKindsInWords()} connections do`);
    const settings = (row.settings ?? {}) as Record<string, unknown>;
    const mapping = compileMapping(input.expressions === undefined ? settings.expressions : input.expressions);
    // The provider maps the standard fields itself: it must not apply the stored expressions too.
    const context = providerContext({ settings: { ...settings, expressions: undefined } }, decryptConnectionSecrets(ctx.keyring, row), { logger: ctx.logger });
    const users = await previewAttributes(row.kind, context, mapping, input.users ?? PREVIEW_USERS.default);
    return { connection: label, users };
  },
});
