/** SCIM push with attribute expressions: enterprise and custom schema attributes mapped to named custom attributes, read back by SCIM GET, the admin API and the event feed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { readEventFeed } from '../../../../src/admin/events/index.js';
import { queryRows } from '../../../../src/core/store/index.js';
import { op } from '../../../admin/operations/support.js';
import { scimHarness, type ScimHarness } from './support.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ACME = 'urn:acme:params:scim:schemas:extension:badge:2.0:User';
const CUSTOM = 'urn:roster:params:scim:schemas:extension:custom:2.0:User';

let h: ScimHarness;
beforeAll(async () => {
  h = await scimHarness();
  await op(h.ctx, 'connection.update', {
    connection: h.connectionId,
    settings: {
      expressions: {
        fields: { email: '$lowercase(emails[primary=true].value)' },
        custom: {
          costCenter: `$.\`${ENTERPRISE}\`.costCenter`,
          badge: `$replace($.\`${ACME}\`.badge, /^B-/, "")`,
          division: `$exists($.\`${ENTERPRISE}\`.division) ? $.\`${ENTERPRISE}\`.division : "none"`,
        },
      },
    },
  });
});
afterAll(() => h.close());

const jane = (costCenter: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE, ACME],
  userName: 'jane@acme.test',
  emails: [{ value: 'Jane@ACME.test', primary: true }],
  [ENTERPRISE]: { costCenter, department: 'Finance' },
  [ACME]: { badge: 'B-0042' },
});

describe('SCIM push with attribute expressions', () => {
  it('maps enterprise and custom schema attributes to custom attributes, served by SCIM GET, the admin API and the feed', async () => {
    const start = (await readEventFeed(h.store.db, { after: 0, limit: 1000, tenantId: null, waitMs: 30_000 })).next;
    const created = await h.request('POST', '/scim/v2/Users', jane('CC-1'));
    expect(created.status).toBe(201);
    expect(created.body[CUSTOM]).toEqual({ costCenter: 'CC-1', badge: '0042', division: 'none' });
    expect(created.body.schemas).toContain(CUSTOM);

    const got = await h.request('GET', `/scim/v2/Users/${created.body.id}`);
    expect(got.body[CUSTOM]).toEqual({ costCenter: 'CC-1', badge: '0042', division: 'none' });
    // The field expression: the stored email is lower-cased.
    const view = await op(h.ctx, 'user.show', { tenant: 'acme', user: created.body.id });
    expect(view).toMatchObject({ email: 'jane@acme.test', customAttributes: { costCenter: 'CC-1', badge: '0042', division: 'none' } });

    const feed = await readEventFeed(h.store.db, { after: start, limit: 100, tenantId: null, waitMs: 30_000 });
    const event = feed.events.find((e) => e.action === 'user.created' && e.entityId === created.body.id);
    expect((event as unknown as { after: { custom_attributes: unknown } }).after.custom_attributes).toEqual({ costCenter: 'CC-1', badge: '0042', division: 'none' });
  });

  it('updates a changed custom attribute with before and after, and writes nothing for the same User again', async () => {
    const list = await h.request('GET', '/scim/v2/Users?filter=userName eq "jane@acme.test"');
    const id = list.body.Resources[0].id;
    const start = (await readEventFeed(h.store.db, { after: 0, limit: 1000, tenantId: null, waitMs: 30_000 })).next;
    expect((await h.request('PUT', `/scim/v2/Users/${id}`, jane('CC-1'))).status).toBe(200);
    expect((await readEventFeed(h.store.db, { after: start, limit: 100, tenantId: null, waitMs: 30_000 })).events).toEqual([]);

    const patched = await h.request('PATCH', `/scim/v2/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: `${ENTERPRISE}:costCenter`, value: 'CC-2' }],
    });
    expect(patched.status).toBe(200);
    expect(patched.body[CUSTOM].costCenter).toBe('CC-2');
    const events = (await readEventFeed(h.store.db, { after: start, limit: 100, tenantId: null, waitMs: 30_000 })).events;
    expect(events.map((e) => e.action)).toEqual(['user.updated']);
    const e = events[0] as unknown as { before: { custom_attributes: { costCenter: string } }; after: { custom_attributes: { costCenter: string } } };
    expect([e.before.custom_attributes.costCenter, e.after.custom_attributes.costCenter]).toEqual(['CC-1', 'CC-2']);
  });

  it('keeps what the expressions computed when a client sends the custom extension back', async () => {
    const list = await h.request('GET', '/scim/v2/Users?filter=userName eq "jane@acme.test"');
    const id = list.body.Resources[0].id;
    const put = await h.request('PUT', `/scim/v2/Users/${id}`, { ...jane('CC-2'), [CUSTOM]: { costCenter: 'forged', planted: true } });
    expect(put.status).toBe(200);
    expect(put.body[CUSTOM]).toEqual({ costCenter: 'CC-2', badge: '0042', division: 'none' });
    const [row] = await queryRows<{ profile: Record<string, unknown> }>(h.store.db, sql`select profile from users where id = ${id}`);
    expect(Object.keys(row!.profile)).not.toContain(CUSTOM);
  });

  it('declares the custom extension, with the connection\'s names, in /Schemas and the User ResourceType', async () => {
    const schema = await h.request('GET', `/scim/v2/Schemas/${CUSTOM}`);
    expect(schema.status).toBe(200);
    expect(schema.body.attributes.map((a: { name: string }) => a.name).sort()).toEqual(['badge', 'costCenter', 'division']);
    const type = await h.request('GET', '/scim/v2/ResourceTypes/User');
    expect(type.body.schemaExtensions).toContainEqual({ schema: CUSTOM, required: false });
  });

  it('refuses a bad expression when the connection is saved, naming the field', async () => {
    await expect(op(h.ctx, 'connection.update', { connection: h.connectionId, settings: { expressions: { custom: { costCenter: '$.x +' } } } })).rejects.toThrow(
      /"expressions\.custom\.costCenter" is not a valid JSONata expression/,
    );
  });
});
