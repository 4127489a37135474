/** Small factories for fixtures; each returns plain rows or change objects. */
import { randomUUID } from 'node:crypto';
import type { CreateUser, CreateGroup } from '../../src/core/lifecycle/index.js';
import { schema, type Db } from '../../src/core/store/index.js';

export async function makeTenant(db: Db, slug = `t-${randomUUID().slice(0, 8)}`) {
  const [tenant] = await db.insert(schema.tenants).values({ slug, name: slug.toUpperCase() }).returning();
  return tenant!;
}

export async function makeConnection(db: Db, tenantId: string, overrides: { name?: string; kind?: string } = {}) {
  const [connection] = await db
    .insert(schema.connections)
    .values({ tenantId, name: overrides.name ?? `conn-${randomUUID().slice(0, 8)}`, kind: overrides.kind ?? 'scim' })
    .returning();
  return connection!;
}

export function userCreate(connectionId: string, n: number, overrides: Partial<CreateUser> = {}): CreateUser {
  return {
    kind: 'user.create',
    connectionId,
    id: randomUUID(),
    externalId: `ext-${n}`,
    attributes: {
      userName: `user${n}@example.test`,
      email: `user${n}@example.test`,
      displayName: `User ${n}`,
      givenName: 'User',
      familyName: String(n),
    },
    sourceHash: `hash-${n}`,
    ...overrides,
  };
}

export function groupCreate(connectionId: string, displayName: string, overrides: Partial<CreateGroup> = {}): CreateGroup {
  return { kind: 'group.create', connectionId, id: randomUUID(), externalId: `g-${displayName}`, displayName, ...overrides };
}
