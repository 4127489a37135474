import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors/index.js';
import { compileMapping, evaluateMapping, expressionsSetting, LIMITS, referencedAttributes, compileExpression } from '../../../src/core/mapping/index.js';

const mapping = (setting: unknown) => {
  const m = compileMapping(setting);
  if (!m) throw new Error('expected expressions');
  return m;
};

const entraUser = {
  id: 'u1',
  userPrincipalName: 'Jane.Doe@Example.COM',
  mail: null,
  givenName: 'Jane',
  surname: 'Doe',
  employeeId: '000123',
  extension_1a2b_costCenter: 'CC-7',
  onPremisesExtensionAttributes: { extensionAttribute1: 'Finance', extensionAttribute2: null },
};

describe('attribute expressions', () => {
  it('lower-cases a field with $lowercase', async () => {
    const r = await evaluateMapping(mapping({ fields: { userName: '$lowercase(userPrincipalName)' } }), entraUser);
    expect(r.fields.userName).toBe('jane.doe@example.com');
    expect(r.errors).toEqual([]);
  });

  it('concatenates with &', async () => {
    const r = await evaluateMapping(mapping({ fields: { displayName: 'givenName & " " & surname' } }), entraUser);
    expect(r.fields.displayName).toBe('Jane Doe');
  });

  it('falls back with a ? a : b and with $exists', async () => {
    const m = mapping({ fields: { email: 'mail ? mail : userPrincipalName' }, custom: { dept: '$exists(department) ? department : onPremisesExtensionAttributes.extensionAttribute1' } });
    const r = await evaluateMapping(m, entraUser);
    expect(r.fields.email).toBe('Jane.Doe@Example.COM');
    expect(r.custom).toEqual({ dept: 'Finance' });
    const withMail = await evaluateMapping(m, { ...entraUser, mail: 'jd@example.com', department: 'Sales' });
    expect(withMail.fields.email).toBe('jd@example.com');
    expect(withMail.custom).toEqual({ dept: 'Sales' });
  });

  it('replaces with a regular expression via $replace', async () => {
    const r = await evaluateMapping(mapping({ custom: { employeeNumber: '$replace(employeeId, /^0+/, "")' } }), entraUser);
    expect(r.custom).toEqual({ employeeNumber: '123' });
  });

  it('maps Entra extension attributes and keeps numbers, booleans and arrays', async () => {
    const r = await evaluateMapping(
      mapping({ custom: { costCenter: 'extension_1a2b_costCenter', level: '$number("3")', remote: 'true', tags: 'tags' } }),
      { ...entraUser, tags: ['a', 'b'] },
    );
    expect(r.custom).toEqual({ costCenter: 'CC-7', level: 3, remote: true, tags: ['a', 'b'] });
    expect(Array.isArray(r.custom!.tags)).toBe(true);
  });

  it('gives null for a missing attribute, without an error', async () => {
    const r = await evaluateMapping(mapping({ fields: { givenName: 'nickname' }, custom: { x: 'nope.deeper' } }), entraUser);
    expect(r.fields).toEqual({ givenName: null });
    expect(r.custom).toEqual({ x: null });
    expect(r.errors).toEqual([]);
  });

  it('refuses a non-string standard field and an object custom value, naming the field', async () => {
    const r = await evaluateMapping(mapping({ fields: { email: 'onPremisesExtensionAttributes' }, custom: { ext: 'onPremisesExtensionAttributes' } }), entraUser);
    expect(r.fields.email).toBeNull();
    expect(r.custom).toEqual({ ext: null });
    expect(r.errors.map((e) => e.field)).toEqual(['fields.email', 'custom.ext']);
    expect(r.errors[0]!.message).toMatch(/not a string/);
  });

  it('stops an endless expression with a timeout error instead of hanging', async () => {
    const started = Date.now();
    const r = await evaluateMapping(mapping({ custom: { loop: '($f := function($x){ $f($x + 1) }; $f(1))' } }), {});
    expect(r.custom).toEqual({ loop: null });
    expect(r.errors[0]!.message).toMatch(/timeout|stack|depth/i);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('bounds a long string and a long array', async () => {
    const r = await evaluateMapping(mapping({ custom: { big: '$pad("", 5000, "x")', many: '[1..500]' } }), {});
    expect(r.custom).toEqual({ big: null, many: null });
    expect(r.errors).toHaveLength(2);
  });

  it('names the top-level attributes an expression reads', () => {
    const m = mapping({
      fields: { userName: '$lowercase($.userPrincipalName)', email: 'emails[type="work"].value' },
      custom: { a: 'customSchemas.HR.costCenter', b: '`employee-type` & extension_1a2b_costCenter', c: '$exists(x) ? x : y' },
    });
    expect(m.attributes).toEqual(['customSchemas', 'emails', 'employee-type', 'extension_1a2b_costCenter', 'userPrincipalName', 'x', 'y']);
    const ast = compileExpression('{"k": foo}.k');
    expect(ast.ok && referencedAttributes(ast.value.expression.ast())).toEqual(['foo']);
  });

  it('is null when there are no expressions (nothing to evaluate)', () => {
    expect(compileMapping(undefined)).toBeNull();
    expect(compileMapping({})).toBeNull();
    expect(compileMapping({ fields: {}, custom: {} })).toBeNull();
  });

  it('refuses a bad expression with JSONata\'s message, naming the field', () => {
    expect(() => compileMapping({ fields: { email: 'mail +' } })).toThrow(ValidationError);
    expect(() => compileMapping({ fields: { email: 'mail +' } })).toThrow(/expressions\.fields\.email is not a valid JSONata expression: .*end of expression/);
    const parsed = expressionsSetting().safeParse({ custom: { costCenter: '$replace(x, /[/, "")' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual(['custom', 'costCenter']);
  });

  it('refuses unsafe names, too many attributes, long expressions and unknown fields', () => {
    const fails = (v: unknown) => expect(expressionsSetting().safeParse(v).success).toBe(false);
    // zod drops a `__proto__` key: it never reaches the stored settings.
    expect(expressionsSetting().parse({ custom: JSON.parse('{"__proto__": "x"}') })).toEqual({ custom: {} });
    fails({ custom: { 'cost center': 'x' } });
    fails({ custom: Object.fromEntries(Array.from({ length: LIMITS.customAttributes + 1 }, (_, i) => [`a${i}`, 'x'])) });
    fails({ custom: { a: `x & ${'"y" & '.repeat(LIMITS.expressionLength)}"z"` } });
    fails({ fields: { id: 'x' } });
    fails({ fields: { email: '' } });
    expect(expressionsSetting().safeParse({ fields: { email: 'mail' }, custom: { cost_center1: 'x' } }).success).toBe(true);
  });
});
