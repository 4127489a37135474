/**
 * A directory in an end-to-end test's words (a login, disable, delete for
 * good, nest a group), over any IdP's contract adapter: the reconciler's and
 * the admin surfaces' scenarios run the same against all three IdPs, and
 * what differs between the IdPs is said once, in the adapters.
 */
import type { ContractAdapter, ContractFake, DeletionFlavour, FakeOptions, PersonSpec } from './adapter.js';

export interface ScenarioIdp {
  kind: ContractAdapter['kind'];
  /** Settings and secrets for `connection.create`. */
  settings: Record<string, unknown>;
  /** The fake itself, for what the words below do not cover (none for a real server: LDAP's slapd). */
  fake?: ContractFake;
  /** A user signing in as `${login}@${fake.domain}`, named after the login. */
  addUser(login: string): string;
  rename(id: string, displayName: string): void;
  /** Sets a custom attribute the IdP's way; `customAttributeExpression` reads it from the raw user record (absent: not scripted for this IdP). */
  setCustomAttribute?(id: string, value: string): void;
  customAttributeExpression?: string;
  disable(id: string): void;
  enable(id: string): void;
  /** Delete for good, as the IdP allows it. */
  hardDelete(id: string): void;
  /** Whether the deletion shows in an incremental run, or needs `--full`. */
  hardDeleteNeedsFull: boolean;
  addGroup(name: string): string;
  /**
   * A user or a group (by id) joins the group. Where the IdP has no nesting,
   * the nested group's members join the parent too, now and later, as an
   * admin of that IdP would arrange it (Okta group rules).
   */
  addMember(groupId: string, memberId: string): void;
  removeMember(groupId: string, memberId: string): void;
  /** The group listing fails from its first page on, after the users were read. */
  failGroupListing(): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/** A person whose names are all the login, as the scenarios read them back. */
export function personNamed(login: string, domain: string): PersonSpec {
  return {
    name: login,
    givenName: login,
    familyName: 'Test',
    displayName: login,
    email: `${login}@${domain}`,
    alt: { userName: login, email: `${login}@${domain}`, displayName: login },
  };
}

/** The way the IdP deletes a user for good, and Roster sees it as a deletion. */
function hardDeletion(adapter: ContractAdapter): DeletionFlavour {
  const flavours = adapter.deletions.filter((d) => d.outcome.seen === 'removed' && d.outcome.reason === 'deleted');
  const flavour = flavours.find((d) => d.seenIn === 'delta') ?? flavours[0];
  if (!flavour) throw new Error(`the ${adapter.kind} adapter names no deletion for good`);
  return flavour;
}

export async function startScenario(adapter: ContractAdapter, options: FakeOptions = {}): Promise<ScenarioIdp> {
  const fake = await adapter.start(options);
  const active = adapter.userStates[0]!.state;
  const inactive = adapter.userStates.find((s) => !s.active)!.state;
  const deletion = hardDeletion(adapter);
  const groups = new Set<string>();
  // Without nesting in the IdP: which groups each group's members join as well.
  const parents = new Map<string, string[]>();
  const members = new Map<string, Set<string>>();

  const addUserTo = (groupId: string, userId: string): void => {
    fake.addMember(groupId, { user: userId });
    members.set(groupId, (members.get(groupId) ?? new Set()).add(userId));
    for (const parent of parents.get(groupId) ?? []) addUserTo(parent, userId);
  };
  const removeUserFrom = (groupId: string, userId: string): void => {
    fake.removeMember(groupId, userId);
    members.get(groupId)?.delete(userId);
    for (const parent of parents.get(groupId) ?? []) removeUserFrom(parent, userId);
  };

  return {
    kind: adapter.kind,
    settings: fake.connectionSettings(),
    fake,
    addUser: (login) => fake.addUser(personNamed(login, fake.domain)),
    rename: (id, displayName) => fake.rename(id, displayName),
    setCustomAttribute: (id, value) => {
      fake.setCustomAttribute(id, value);
      fake.settle();
    },
    customAttributeExpression: adapter.customAttributeExpression,
    disable: (id) => fake.setState(id, inactive),
    enable: (id) => fake.setState(id, active),
    hardDelete: (id) => deletion.apply(fake, id),
    hardDeleteNeedsFull: deletion.seenIn === 'full' && adapter.incremental.supported,
    addGroup: (name) => {
      const id = fake.addGroup(name);
      groups.add(id);
      return id;
    },
    addMember: (groupId, memberId) => {
      if (!groups.has(memberId)) return addUserTo(groupId, memberId);
      if (adapter.nesting.supported) return fake.addMember(groupId, { group: memberId });
      parents.set(memberId, [...(parents.get(memberId) ?? []), groupId]);
      for (const user of members.get(memberId) ?? []) addUserTo(groupId, user);
    },
    removeMember: (groupId, memberId) => (groups.has(memberId) ? fake.removeMember(groupId, memberId) : removeUserFrom(groupId, memberId)),
    failGroupListing: () => fake.inject('groups', 1, '500', Infinity),
    clearFaults: () => fake.clearFaults(),
    close: () => fake.close(),
  };
}
