/**
 * The demo's generated samples (test/fakes/demo/): a second `roster demo` on
 * the same data folder is a no-change resync only if every start serves the
 * same ids, so they are pinned here, across runs and across versions of the
 * generator (a demo folder made by an older checkout stays valid).
 */
import { describe, expect, it } from 'vitest';
import { demoSize } from '../../fakes/demo/directories.js';
import { jumpCloudSample } from '../../fakes/demo/jumpcloud.js';
import { keycloakSample } from '../../fakes/demo/keycloak.js';
import { ldapSample } from '../../fakes/demo/ldap.js';
import { zitadelSample } from '../../fakes/demo/zitadel.js';

const size = demoSize(300);

describe('the demo samples', () => {
  it('give the same ids on every start, pinned for ada.lovelace.0 (the first person)', () => {
    expect(ldapSample(size).ldif).toContain('entryUUID: f1529eca-cb0e-5964-908e-8dea117c4d3d');
    expect(keycloakSample(size).users[0]).toMatchObject({ id: '0f12fad6-1a29-51a8-8f6a-9c9cddbe6532', username: 'ada.lovelace.0@keycloak.example' });
    expect(zitadelSample(size).users[0]).toMatchObject({ id: '768949584106752732', loginName: 'ada.lovelace.0@zitadel.example' });
    expect(jumpCloudSample(size).users[0]).toMatchObject({ id: '65a4759e6878abfe644de3c2', username: 'alovelace0' });

    const realm = () => keycloakSample(size).realm();
    expect([...realm().users.values()]).toEqual([...realm().users.values()]);
    expect([...realm().groups.values()]).toEqual([...realm().groups.values()]);
    const org = () => jumpCloudSample(size).org();
    expect([...org().users.values()]).toEqual([...org().users.values()]);
    expect([...org().groups.values()]).toEqual([...org().groups.values()]);
  });

  it('have ids unique within each sample and in the shape of each IdP', () => {
    const kc = keycloakSample(size).realm();
    const zitadel = zitadelSample(size);
    const jc = jumpCloudSample(size).org();
    const ids = [...kc.users.keys(), ...kc.groups.keys(), ...zitadel.users.map((u) => u.id), ...jc.users.keys(), ...jc.groups.keys()];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...kc.users.keys()].every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(true);
    expect(zitadel.users.every((u) => /^[1-9]\d{17}$/.test(u.id))).toBe(true);
    // ObjectIds, creation time first: groups made before users, users in their order (sort=_id).
    const jcIds = [...jc.groups.keys(), ...jc.users.keys()];
    expect(jcIds.every((id) => /^[0-9a-f]{24}$/.test(id))).toBe(true);
    expect(jcIds.map((id) => id.slice(0, 8))).toEqual([...jcIds.map((id) => id.slice(0, 8))].sort());
  });

  it('give each person a userName of its own in the one demo tenant', () => {
    const names = [
      ...ldapSample(size).users.map((u) => u.uid),
      ...keycloakSample(size).users.map((u) => u.username),
      ...zitadelSample(size).users.map((u) => u.loginName),
      ...jumpCloudSample(size).users.map((u) => u.username),
    ];
    expect(names).toHaveLength(4 * 300);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
  });

  it('make every 25th user inactive, and nest Keycloak Group 2 under the mapped Group 1', () => {
    expect(keycloakSample(size).users.filter((u) => !u.enabled)).toHaveLength(12);
    expect(zitadelSample(size).users.filter((u) => u.state === 'INACTIVE')).toHaveLength(12);
    expect(jumpCloudSample(size).users.filter((u) => u.state === 'SUSPENDED')).toHaveLength(12);
    const realm = keycloakSample(size).realm();
    const byName = new Map([...realm.groups.values()].map((g) => [g.name, g]));
    expect(realm.path(byName.get('Group 2')!)).toBe('/Group 1/Group 2');
    expect([...realm.groups.values()].filter((g) => g.parentId !== null)).toHaveLength(1);
    // Users are direct members of Group 2 alone (the test of the role through the subgroup needs one).
    expect(keycloakSample(size).users.some((u) => u.enabled && u.groups.includes(2) && !u.groups.includes(1))).toBe(true);
  });
});
