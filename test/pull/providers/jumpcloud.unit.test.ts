/**
 * JumpCloud's pure parts: its settings as an admin gives them, the parsed
 * defaults, Retry-After, the state mapping of records old and new, and which
 * Directory Insights events a delta acts on.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSettings } from '../../../src/pull/providers/connection-settings.js';
import { noChanges, record } from '../../../src/pull/providers/jumpcloud/insights.js';
import { mapUser } from '../../../src/pull/providers/jumpcloud/map.js';
import { DEFAULT_MAPPING, parseJumpCloudSettings } from '../../../src/pull/providers/jumpcloud/settings.js';

describe('JumpCloud settings', () => {
  it('takes the issue\'s keys and keeps apiKey apart as the secret', () => {
    expect(validateSettings('jumpcloud', { apiKey: 'k', orgId: 'o1', baseUrl: 'https://console.jumpcloud.com', insightsUrl: 'https://api.jumpcloud.com/insights/directory/v1' })).toEqual({
      settings: { orgId: 'o1', baseUrl: 'https://console.jumpcloud.com', insightsUrl: 'https://api.jumpcloud.com/insights/directory/v1' },
      secrets: { apiKey: 'k' },
    });
  });

  it('refuses a missing key, an unknown field and an endpoint the outbound URL policy refuses', () => {
    expect(() => validateSettings('jumpcloud', {})).toThrow(/apiKey/);
    expect(() => validateSettings('jumpcloud', { apiKey: 'k', apikey: 'k' })).toThrow(/apikey/);
    expect(() => validateSettings('jumpcloud', { apiKey: 'k', insightsUrl: 'https://169.254.169.254/x' })).toThrow(/insightsUrl/);
    expect(() => validateSettings('jumpcloud', { apiKey: 'k', pageSize: 101 })).toThrow(/pageSize/);
  });

  it('accepts the example in config/jumpcloud.settings.example.json', () => {
    const example: unknown = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../config/jumpcloud.settings.example.json'), 'utf8'));
    expect(validateSettings('jumpcloud', example).secrets).toEqual({ apiKey: 'paste-the-admin-api-key-here' });
  });

  it('defaults to JumpCloud\'s documented hosts and its page cap', () => {
    const s = parseJumpCloudSettings({}, { apiKey: 'k' });
    expect(s).toMatchObject({ baseUrl: 'https://console.jumpcloud.com', insightsUrl: 'https://api.jumpcloud.com/insights/directory/v1', orgId: null, pageSize: 100, mapping: DEFAULT_MAPPING });
    expect(parseJumpCloudSettings({ baseUrl: 'https://x.example/' }, { apiKey: 'k' }).baseUrl).toBe('https://x.example');
  });

  it('names apiKey when the stored secret is missing', () => {
    expect(() => parseJumpCloudSettings({}, {})).toThrow(expect.objectContaining({ details: { field: 'apiKey' } }));
  });
});

describe('JumpCloud user states', () => {
  const user = (extra: Record<string, unknown>) => mapUser({ _id: 'u1', username: 'ann', ...extra }, DEFAULT_MAPPING);

  it('reads `state` when present, and the older activated/suspended flags when not', () => {
    expect(user({ state: 'ACTIVATED' })).toMatchObject({ active: true, status: 'ACTIVATED' });
    expect(user({ state: 'ACTIVATED', account_locked: true })).toMatchObject({ active: true, status: 'ACTIVATED', profile: { accountLocked: true } });
    expect(user({ state: 'STAGED' })).toMatchObject({ active: false, status: 'STAGED' });
    expect(user({ suspended: true, activated: true })).toMatchObject({ active: false, status: 'SUSPENDED' });
    expect(user({ activated: false })).toMatchObject({ active: false, status: 'STAGED' });
    expect(user({})).toMatchObject({ active: true, status: 'ACTIVATED' });
  });

  it('treats a state it does not know as inactive (fail closed)', () => {
    expect(user({ state: 'ARCHIVED' })).toMatchObject({ active: false, status: 'ARCHIVED' });
  });
});

describe('Directory Insights events a delta acts on', () => {
  it('sorts each event into what to re-read and what is gone', () => {
    const c = noChanges();
    record(c, { event_type: 'user_update', resource: { id: 'u1', type: 'user' } });
    record(c, { event_type: 'user_suspended', resource: { id: 'u2', type: 'user' } });
    record(c, { event_type: 'user_delete', resource: { id: 'u3', type: 'user' } });
    record(c, { event_type: 'group_update', resource: { id: 'g1', type: 'user_group' } });
    record(c, { event_type: 'group_delete', resource: { id: 'g2', type: 'user_group' } });
    // A system group is not a user group.
    record(c, { event_type: 'group_delete', resource: { id: 's1', type: 'system_group' } });
    // Either direction of the association, any letter case.
    record(c, { event_type: 'association_change', association: { op: 'add', connection: { from: { type: 'USER_GROUP', object_id: 'g3' }, to: { type: 'USER', object_id: 'u1' } } } });
    record(c, { event_type: 'association_change', association: { op: 'remove', connection: { from: { type: 'user', object_id: 'u1' }, to: { type: 'user_group', object_id: 'g4' } } } });
    // A system bound to a user is not a membership; a login is no change.
    record(c, { event_type: 'association_change', association: { op: 'add', connection: { from: { type: 'SYSTEM', object_id: 'x' }, to: { type: 'USER', object_id: 'u1' } } } });
    record(c, { event_type: 'user_login_attempt', resource: { id: 'u9', type: 'user' } });
    expect(c).toEqual({
      users: new Set(['u1', 'u2']), deletedUsers: new Set(['u3']), groups: new Set(['g1']), memberships: new Set(['g3', 'g4']), deletedGroups: new Set(['g2']),
    });
  });
});
