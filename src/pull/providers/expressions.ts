/**
 * A connection's attribute expressions applied where a provider's users come
 * out: each user's raw record (`source`) is evaluated, the standard fields the
 * expressions name are replaced, the named custom attributes set, and the raw
 * record dropped at once, so a 100k snapshot never holds raw records.
 * Connections without expressions never get here (createProvider).
 */
import type { Logger } from '../../core/logging/index.js';
import { evaluateMapping, MAPPED_FIELDS, type CompiledMapping, type MappingError } from '../../core/mapping/index.js';
import type { DirectoryEvent, DirectoryProvider, DirectoryUser } from './types.js';

export interface MappedUser {
  user: DirectoryUser;
  errors: MappingError[];
}

/**
 * `user` with the expressions' results, without `source`. Evaluated over the
 * raw record when the provider kept one, else over the mapped user itself.
 * A field whose expression gave nothing is null, except userName, which then
 * keeps the provider's value: a user always has one.
 */
export async function applyExpressions(user: DirectoryUser, mapping: CompiledMapping): Promise<MappedUser> {
  const { source, ...mapped } = user;
  const result = await evaluateMapping(mapping, source ?? mapped);
  const errors = [...result.errors];
  const out: DirectoryUser = { ...mapped };
  for (const f of MAPPED_FIELDS) {
    if (!(f in result.fields)) continue;
    const v = result.fields[f] ?? null;
    if (f === 'userName') {
      if (v !== null) out.userName = v;
      else if (!errors.some((e) => e.field === 'fields.userName')) errors.push({ field: 'fields.userName', message: 'gave nothing: the IdP\'s userName is kept' });
    } else out[f] = v;
  }
  if (result.custom) out.customAttributes = result.custom;
  return { user: out, errors };
}

/** Expression failures are logged, a few per run: one broken attribute over 100k users is one problem, not 100k lines. */
const LOGGED_PER_PROVIDER = 20;

export function withExpressions(provider: DirectoryProvider, mapping: CompiledMapping, logger: Logger): DirectoryProvider {
  let logged = 0;
  const map = async (user: DirectoryUser) => {
    const { user: out, errors } = await applyExpressions(user, mapping);
    if (errors.length && logged < LOGGED_PER_PROVIDER) {
      logged += 1;
      logger.warn('attribute expressions failed for a user', { externalId: user.externalId, errors });
    }
    return out;
  };
  return {
    test: () => provider.test(),
    async run(options) {
      const dir = await provider.run(options);
      async function* pages(): AsyncGenerator<DirectoryEvent[]> {
        for await (const page of dir.pages) {
          yield await Promise.all(page.map(async (e) => (e.type === 'user' ? { ...e, user: await map(e.user) } : e)));
        }
      }
      return { mode: dir.mode, pages: pages(), nextCursor: () => dir.nextCursor() };
    },
    async fetchUser(lookup) {
      const found = await provider.fetchUser(lookup);
      return found && { ...found, user: await map(found.user) };
    },
  };
}
