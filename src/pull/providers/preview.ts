/**
 * The attribute preview: a few real users read live from the IdP (the first
 * page of a full run, stopped as soon as there are enough), with the given
 * expressions evaluated over their raw records. Nothing is stored: an admin
 * sees what the expressions would give before saving them.
 */
import { MAPPED_FIELDS, type CompiledMapping, type CustomValue, type MappingError } from '../../core/mapping/index.js';
import { applyExpressions } from './expressions.js';
import { pullDescriptorOf } from './index.js';
import type { DirectoryUser, ProviderContext } from './types.js';

export interface PreviewUser {
  externalId: string;
  /** The userName the user would have (after a userName expression). */
  userName: string;
  /** The standard fields as they would be stored. */
  fields: Record<(typeof MAPPED_FIELDS)[number], string | null>;
  custom: Record<string, CustomValue> | null;
  errors: MappingError[];
}

/** The first `count` users the provider lists, as the expressions map them (`mapping` null: as the provider maps them). */
export async function previewAttributes(kind: string, context: ProviderContext, mapping: CompiledMapping | null, count: number): Promise<PreviewUser[]> {
  const descriptor = pullDescriptorOf(kind);
  if (!descriptor) throw new Error(`no provider for connections of kind ${kind}`);
  const provider = await descriptor.open(mapping ? { ...context, sourceAttributes: mapping.attributes } : context);
  const users: DirectoryUser[] = [];
  const run = await provider.run({ cursor: null, full: true });
  // Leaving the loop ends the listing (the generator's return): no page past the ones needed is read.
  for await (const page of run.pages) {
    for (const e of page) if (e.type === 'user' && users.length < count) users.push(e.user);
    if (users.length >= count) break;
  }
  const out: PreviewUser[] = [];
  for (const raw of users) {
    const { user, errors } = mapping ? await applyExpressions(raw, mapping) : { user: raw, errors: [] };
    out.push({
      externalId: user.externalId,
      userName: user.userName,
      fields: Object.fromEntries(MAPPED_FIELDS.map((f) => [f, user[f]])) as PreviewUser['fields'],
      custom: (user.customAttributes as Record<string, CustomValue> | undefined) ?? null,
      errors,
    });
  }
  return out;
}
