/** The toy IdP's provider: one full listing of the people its settings name, all in one group. */
import { ProviderError, type DirectoryProvider, type DirectoryUser, type ProviderContext } from '../../../src/pull/providers/index.js';

export const TOY_TOKEN = 'toy-token';
export const TOY_GROUP = 'Toys';

export function createToyProvider(context: ProviderContext): DirectoryProvider {
  const people = context.settings.people as string[];
  const signIn = () => {
    context.stats.apiRequests += 1;
    if (context.secrets.token !== TOY_TOKEN) throw new ProviderError('auth', 'the toy IdP refused the token');
  };
  const user = (name: string): DirectoryUser => ({ externalId: `toy-${name}`, userName: name, email: name, displayName: name, givenName: null, familyName: null, active: true });
  const group = { externalId: 'toy-group', displayName: TOY_GROUP };
  return {
    async test() {
      try {
        signIn();
        return { ok: true, checks: [{ name: 'token', ok: true }] };
      } catch (err) {
        return { ok: false, checks: [{ name: 'token', ok: false, detail: (err as Error).message }] };
      }
    },
    async run() {
      signIn();
      async function* pages() {
        yield people.map((name) => ({ type: 'user' as const, user: user(name) }));
        yield [
          { type: 'group' as const, group },
          { type: 'members' as const, groupExternalId: group.externalId, mode: 'set' as const, userExternalIds: people.map((p) => `toy-${p}`), groupExternalIds: [] },
        ];
      }
      return { mode: 'full', pages: pages(), nextCursor: () => null };
    },
    async fetchUser(lookup) {
      signIn();
      const name = people.find((p) => p === lookup.userName || p === lookup.email || `toy-${p}` === lookup.externalId);
      return name ? { user: user(name), groups: [group] } : null;
    },
  };
}
