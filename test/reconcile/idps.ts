/**
 * One adapter per IdP fake, so the same reconciler scenarios run against all
 * three (the contract suite idea): each says how to make the directory
 * change, and what the IdP makes visible.
 */
import { FakeEntra } from '../fakes/entra/index.js';
import { startFakeGoogle, type FakeGoogleServer } from '../fakes/google/index.js';
import { startFakeOkta, type FakeOkta } from '../fakes/okta/index.js';

export interface IdpUnderTest {
  kind: 'entra' | 'okta' | 'google';
  /** Settings and secrets for `connection.create`. */
  settings: Record<string, unknown>;
  addUser(login: string): string;
  rename(id: string, displayName: string): void;
  disable(id: string): void;
  enable(id: string): void;
  /** Delete for good, as the IdP allows it. */
  hardDelete(id: string): void;
  /** What Roster must make of that (absence from a full listing alone would only deactivate). */
  hardDeleteOutcome: 'deleted' | 'deactivated';
  /** Whether the deletion shows in an incremental run, or needs `--full`. */
  hardDeleteNeedsFull: boolean;
  addGroup(name: string): string;
  addMember(groupId: string, memberId: string): void;
  removeMember(groupId: string, memberId: string): void;
  /** Make the group listing fail from its first page on, after the users were read. */
  failGroupListing(): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export async function entraIdp(): Promise<IdpUnderTest> {
  const fake = await FakeEntra.start();
  const dir = fake.directory;
  const conn = fake.connection();
  return {
    kind: 'entra',
    // Retries 1 ms apart: a persistent failure surfaces at once.
    settings: { ...conn.settings, ...conn.secrets, retryDelayMs: 1 },
    addUser: (login) => dir.addUser({ userPrincipalName: `${login}@contoso.test`, mail: `${login}@contoso.test`, displayName: login, givenName: login }).id,
    rename: (id, displayName) => void dir.updateUser(id, { displayName }),
    disable: (id) => void dir.disableUser(id),
    enable: (id) => void dir.enableUser(id),
    hardDelete: (id) => dir.hardDeleteUser(id),
    hardDeleteOutcome: 'deleted',
    hardDeleteNeedsFull: false,
    addGroup: (name) => dir.addGroup({ displayName: name }).id,
    addMember: (g, m) => dir.addMember(g, m),
    removeMember: (g, m) => dir.removeMember(g, m),
    // A persistent 500: retried (serverErrorRetries), then the run stops.
    failGroupListing: () => fake.failPage({ resource: 'groups', page: 1, status: 500 }),
    clearFaults: () => fake.clearFaults(),
    close: () => fake.close(),
  };
}

export async function oktaIdp(): Promise<IdpUnderTest> {
  const fake: FakeOkta = await startFakeOkta();
  const dir = fake.directory;
  // Okta groups do not nest. The scenarios nest Platform in Engineering, so a
  // member of a "child" is also added to its "parent", as an Okta admin would (group rules).
  const parents = new Map<string, string[]>();
  const isGroup = (id: string) => dir.groups.has(id);
  const addMember = (g: string, m: string): void => {
    if (isGroup(m)) {
      parents.set(m, [...(parents.get(m) ?? []), g]);
      for (const u of dir.group(m).members) addMember(g, u);
      return;
    }
    dir.addMember(g, m);
    for (const p of parents.get(g) ?? []) addMember(p, m);
  };
  const removeMember = (g: string, m: string): void => {
    dir.removeMember(g, m);
    for (const p of parents.get(g) ?? []) removeMember(p, m);
  };
  return {
    kind: 'okta',
    settings: { orgUrl: fake.url, apiToken: 'test-token', retryDelayMs: 1, serverErrorRetries: 1 },
    addUser: (login) =>
      dir.addUser({ profile: { login: `${login}@okta.test`, email: `${login}@okta.test`, firstName: login, lastName: 'Test', displayName: login } }).id,
    rename: (id, displayName) => void dir.updateUser(id, { displayName }),
    disable: (id) => void dir.suspend(id),
    enable: (id) => void dir.unsuspend(id),
    hardDelete: (id) => {
      dir.deleteUser(id); // first DELETE deactivates
      dir.deleteUser(id); // second deletes
    },
    // The System Log's user.lifecycle.delete.initiated, read by every delta.
    hardDeleteOutcome: 'deleted',
    hardDeleteNeedsFull: false,
    addGroup: (name) => dir.addGroup({ name }).id,
    addMember,
    removeMember,
    failGroupListing: () => void fake.faults.push({ route: 'groups', status: 500 }),
    clearFaults: () => void fake.faults.splice(0),
    close: () => fake.close(),
  };
}

export async function googleIdp(): Promise<IdpUnderTest> {
  const fake: FakeGoogleServer = await startFakeGoogle();
  const dir = fake.directory;
  const admin = `admin@${dir.domain}`;
  dir.addUser({ primaryEmail: admin, isAdmin: true });
  return {
    kind: 'google',
    settings: {
      subject: admin,
      rootUrl: fake.rootUrl,
      tokenUrl: fake.tokenUrl,
      serviceAccountKey: fake.createServiceAccount(),
      maxRetries: 1,
      retryBaseDelayMs: 1,
      maxRetryDelayMs: 5,
    },
    addUser: (login) => dir.addUser({ primaryEmail: `${login}@${dir.domain}`, name: { givenName: login, familyName: 'Test' } }).id,
    rename: (id, displayName) => void dir.updateUser(id, { name: { givenName: displayName, familyName: 'Renamed', fullName: `${displayName} Renamed` } }),
    disable: (id) => void dir.suspendUser(id, true),
    enable: (id) => void dir.suspendUser(id, false),
    hardDelete: (id) => dir.deleteUser(id),
    hardDeleteOutcome: 'deleted',
    hardDeleteNeedsFull: false,
    addGroup: (name) => dir.addGroup({ name }).id,
    addMember: (g, m) => void dir.addMember(g, dir.group(m) ? { group: m } : { user: m }),
    removeMember: (g, m) => dir.removeMember(g, m),
    failGroupListing: () => fake.addFault({ endpoint: 'groups', kind: '500', times: Infinity }),
    clearFaults: () => void fake.faults.splice(0),
    close: () => fake.close(),
  };
}

export const IDPS = [entraIdp, oktaIdp, googleIdp] as const;
