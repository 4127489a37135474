import { describe, expect, it } from 'vitest';
import { parsePatchPath, parsePatchRequest } from '../../../../src/push/scim/patch/index.js';
import { ENTERPRISE, PATCH_OP, errorOf, expectScimError, patchBody, unwrap } from './fixtures.js';

describe('parsePatchRequest (RFC 7644 §3.5.2)', () => {
  it('rejects a body without the PatchOp schema as invalidSyntax', () => {
    const error = errorOf(parsePatchRequest({ Operations: [{ op: 'replace', path: 'active', value: false }] }));
    expectScimError(error, 'invalidSyntax');
  });

  it('rejects a body whose schemas name another message as invalidSyntax', () => {
    const body = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], Operations: [{ op: 'add', path: 'title', value: 'x' }] };
    expectScimError(errorOf(parsePatchRequest(body)), 'invalidSyntax');
  });

  it('rejects missing or empty Operations as invalidSyntax', () => {
    expectScimError(errorOf(parsePatchRequest({ schemas: [PATCH_OP] })), 'invalidSyntax');
    expectScimError(errorOf(parsePatchRequest(patchBody())), 'invalidSyntax');
  });

  it('rejects a body that is not an object as invalidSyntax', () => {
    expectScimError(errorOf(parsePatchRequest([])), 'invalidSyntax');
    expectScimError(errorOf(parsePatchRequest('{}')), 'invalidSyntax');
  });

  it('rejects an unknown op as invalidSyntax', () => {
    expectScimError(errorOf(parsePatchRequest(patchBody({ op: 'move', path: 'title', value: 'x' }))), 'invalidSyntax');
  });

  it('reads op case-insensitively, as Entra ID sends "Add", "Replace" and "Remove"', () => {
    const ops = unwrap(
      parsePatchRequest(
        patchBody(
          { op: 'Add', path: 'title', value: 'a' },
          { op: 'Replace', path: 'title', value: 'b' },
          { op: 'Remove', path: 'title' },
          { op: 'REPLACE', path: 'title', value: 'c' },
        ),
      ),
    );
    expect(ops.map((o) => o.op)).toEqual(['add', 'replace', 'remove', 'replace']);
  });

  it('accepts "operations" in any case (attribute names are case-insensitive, RFC 7643 §2.1)', () => {
    const ops = unwrap(parsePatchRequest({ schemas: [PATCH_OP], operations: [{ op: 'add', path: 'title', value: 'a' }] }));
    expect(ops).toHaveLength(1);
  });

  it('answers noTarget to a remove without a path (RFC 7644 §3.5.2.2)', () => {
    expectScimError(errorOf(parsePatchRequest(patchBody({ op: 'remove' }))), 'noTarget');
    expectScimError(errorOf(parsePatchRequest(patchBody({ op: 'remove', path: '' }))), 'noTarget');
  });

  it('answers invalidPath to a malformed path', () => {
    for (const path of ['emails[type eq "work"', 'name..givenName', 'emails[type eq]', '9lives', 'a.b.c', 'emails[type eq "work"]x']) {
      expectScimError(errorOf(parsePatchRequest(patchBody({ op: 'replace', path, value: 'x' }))), 'invalidPath');
    }
  });

  it('answers invalidPath to a malformed key of a no-path value', () => {
    const body = patchBody({ op: 'replace', value: { 'name..givenName': 'A' } });
    expectScimError(errorOf(parsePatchRequest(body)), 'invalidPath');
  });

  it('answers invalidValue to a no-path add whose value is not an object', () => {
    expectScimError(errorOf(parsePatchRequest(patchBody({ op: 'add', value: 'x' }))), 'invalidValue');
  });

  it('answers invalidValue to an add with a path but no value', () => {
    expectScimError(errorOf(parsePatchRequest(patchBody({ op: 'add', path: 'title' }))), 'invalidValue');
  });

  it('turns a no-path value into one entry per attribute, keys parsed as paths', () => {
    const [op] = unwrap(parsePatchRequest(patchBody({ op: 'replace', value: { active: false, 'name.givenName': 'A' } })));
    expect(op?.path).toBeUndefined();
    expect(op && 'entries' in op ? op.entries.map((e) => [e.path.attribute, e.path.subAttribute]) : []).toEqual([
      ['active', undefined],
      ['name', 'givenName'],
    ]);
  });
});

describe('parsePatchPath (RFC 7644 §3.10 ABNF)', () => {
  it('splits a sub-attribute path', () => {
    expect(unwrap(parsePatchPath('name.familyName'))).toMatchObject({ attribute: 'name', subAttribute: 'familyName' });
  });

  it('drops the core schema URN and keeps extension URNs apart', () => {
    expect(unwrap(parsePatchPath('urn:ietf:params:scim:schemas:core:2.0:User:userName'))).toEqual({
      text: 'urn:ietf:params:scim:schemas:core:2.0:User:userName',
      attribute: 'userName',
    });
    expect(unwrap(parsePatchPath(`${ENTERPRISE}:manager`))).toMatchObject({ schema: ENTERPRISE, attribute: 'manager' });
  });

  it('reads a path naming the enterprise extension itself as that schema', () => {
    const path = unwrap(parsePatchPath(ENTERPRISE));
    expect(path.attribute).toBe(ENTERPRISE);
    expect(path.schema).toBeUndefined();
  });

  it('reads a custom extension attribute (Entra custom attribute mappings)', () => {
    const path = unwrap(parsePatchPath('urn:ietf:params:scim:schemas:extension:custom:2.0:User:worksiteId'));
    expect(path).toMatchObject({ schema: 'urn:ietf:params:scim:schemas:extension:custom:2.0:User', attribute: 'worksiteId' });
  });

  it('puts known attribute names in canonical case', () => {
    expect(unwrap(parsePatchPath('NAME.GIVENNAME'))).toMatchObject({ attribute: 'name', subAttribute: 'givenName' });
    expect(unwrap(parsePatchPath('username')).attribute).toBe('userName');
  });

  it('parses a value path with a filter and a sub-attribute', () => {
    const path = unwrap(parsePatchPath('emails[type eq "work"].value'));
    expect(path).toMatchObject({ attribute: 'emails', subAttribute: 'value' });
    expect(path.filter?.source).toBe('type eq "work"');
  });

  it('keeps a "]" inside a quoted filter value', () => {
    const path = unwrap(parsePatchPath('members[value eq "a]b"]'));
    expect(path.filter?.source).toBe('value eq "a]b"');
  });

  it('rejects a nested value filter', () => {
    expectScimError(errorOf(parsePatchPath('emails[type eq "work" and x[y eq "z"]]')), 'invalidPath');
  });
});
