import { describe, expect, it } from 'vitest';
import { parseAttributePath, parseScimFilter, type FilterNode } from '../../../../src/push/scim/filter/index.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const attr = (...names: string[]) => ({ names });
const eq = (name: string, value: string | number | boolean | null): FilterNode => ({
  kind: 'compare',
  attribute: { names: name.split('.') },
  operator: 'eq',
  value,
});

const parses: Array<[string, FilterNode]> = [
  ['userName eq "bjensen"', eq('userName', 'bjensen')],
  ['userName EQ "x"', eq('userName', 'x')],
  ['USERNAME eq "x"', { kind: 'compare', attribute: attr('USERNAME'), operator: 'eq', value: 'x' }],
  ['name.familyName co "O\'Malley"', { kind: 'compare', attribute: attr('name', 'familyName'), operator: 'co', value: "O'Malley" }],
  ['title pr', { kind: 'present', attribute: attr('title') }],
  ['title PR', { kind: 'present', attribute: attr('title') }],
  ['active eq true', eq('active', true)],
  ['active eq False', eq('active', false)],
  ['title eq null', eq('title', null)],
  ['age ge -1.5e2', { kind: 'compare', attribute: attr('age'), operator: 'ge', value: -150 }],
  ['userName eq "a\\"b\\\\c\\u0041"', eq('userName', 'a"b\\cA')],
  [
    'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
    { kind: 'compare', attribute: { schema: 'urn:ietf:params:scim:schemas:core:2.0:User', names: ['userName'] }, operator: 'sw', value: 'J' },
  ],
  [
    `${ENTERPRISE}:employeeNumber eq "7"`,
    { kind: 'compare', attribute: { schema: ENTERPRISE, names: ['employeeNumber'] }, operator: 'eq', value: '7' },
  ],
  [
    `${ENTERPRISE}:manager.value eq "m1"`,
    { kind: 'compare', attribute: { schema: ENTERPRISE, names: ['manager', 'value'] }, operator: 'eq', value: 'm1' },
  ],
  [
    'a eq 1 or b eq 2 and c eq 3',
    { kind: 'or', filters: [eq('a', 1), { kind: 'and', filters: [eq('b', 2), eq('c', 3)] }] },
  ],
  [
    '(a eq 1 or b eq 2) and c eq 3',
    { kind: 'and', filters: [{ kind: 'or', filters: [eq('a', 1), eq('b', 2)] }, eq('c', 3)] },
  ],
  ['a eq 1 AND b eq 2 and c eq 3', { kind: 'and', filters: [eq('a', 1), eq('b', 2), eq('c', 3)] }],
  ['not (active eq true)', { kind: 'not', filter: eq('active', true) }],
  ['NOT(active eq true)', { kind: 'not', filter: eq('active', true) }],
  [
    'emails[type eq "work" and primary eq true]',
    { kind: 'valuePath', attribute: attr('emails'), filter: { kind: 'and', filters: [eq('type', 'work'), eq('primary', true)] } },
  ],
  [
    'emails[type eq "work"].value eq "x"',
    { kind: 'valuePath', attribute: attr('emails'), filter: { kind: 'and', filters: [eq('type', 'work'), eq('value', 'x')] } },
  ],
  [
    'emails[type eq "work" and primary eq true].value co "@x"',
    {
      kind: 'valuePath',
      attribute: attr('emails'),
      filter: {
        kind: 'and',
        filters: [eq('type', 'work'), eq('primary', true), { kind: 'compare', attribute: attr('value'), operator: 'co', value: '@x' }],
      },
    },
  ],
  [
    'id eq "1" and members[value eq "2"]',
    { kind: 'and', filters: [eq('id', '1'), { kind: 'valuePath', attribute: attr('members'), filter: eq('value', '2') }] },
  ],
  [
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    {
      kind: 'and',
      filters: [
        eq('userType', 'Employee'),
        {
          kind: 'or',
          filters: [
            { kind: 'compare', attribute: attr('emails'), operator: 'co', value: 'example.com' },
            { kind: 'compare', attribute: attr('emails', 'value'), operator: 'co', value: 'example.org' },
          ],
        },
      ],
    },
  ],
  ['members[value eq "x"].$ref pr', {
    kind: 'valuePath',
    attribute: attr('members'),
    filter: { kind: 'and', filters: [eq('value', 'x'), { kind: 'present', attribute: attr('$ref') }] },
  }],
];

describe('parseScimFilter accepts RFC 7644 §3.4.2.2 filters and the shapes IdPs send', () => {
  it.each(parses)('%s', (text, expected) => {
    const result = parseScimFilter(text);
    expect(result).toEqual({ ok: true, value: expected });
  });
});

// Unquoted values are not RFC 7644 syntax, but Microsoft's SCIM reference collection
// sends them and expects results: they are read as strings (or a number, or a literal).
const cmp = (name: string, operator: 'sw' | 'gt' | 'co', value: string): FilterNode => ({ kind: 'compare', attribute: { names: name.split('.') }, operator, value });
const lenient: Array<[string, FilterNode]> = [
  ['userName eq bjensen', eq('userName', 'bjensen')],
  ['userName sw O', cmp('userName', 'sw', 'O')],
  ['userName eq 12abc', eq('userName', '12abc')],
  ['employeeNumber eq 7', eq('employeeNumber', 7)],
  ['active eq TRUE', eq('active', true)],
  ['meta.created gt 2015-10-10T14:38:21.8617979-07:00', cmp('meta.created', 'gt', '2015-10-10T14:38:21.8617979-07:00')],
  [
    'name.familyName eq Employee and (emails.value co example.com)',
    { kind: 'and', filters: [eq('name.familyName', 'Employee'), cmp('emails.value', 'co', 'example.com')] },
  ],
];

describe('parseScimFilter reads unquoted values leniently', () => {
  it.each(lenient)('%s', (text, expected) => {
    expect(parseScimFilter(text)).toEqual({ ok: true, value: expected });
  });
});

const rejects: Array<[string, RegExp]> = [
  ['', /empty/],
  ['   ', /empty/],
  ['(userName eq "x"', /missing '\)'/],
  ['userName eq "x")', /unbalanced '\)'/],
  ['emails[type eq "work"', /missing '\]'/],
  ['userName zz "x"', /unknown operator 'zz'/],
  ['userName eq', /missing value after 'eq'/],
  ['userName eq "x" garbage', /unexpected 'garbage'/],
  ['userName eq "x" and', /expected an attribute/],
  ['userName eq "unterminated', /unterminated string/],
  ['userName eq "bad \\q escape"', /invalid string/],
  ['userName eq "a\\u0000b"', /NUL character/],
  ['userName', /expected an operator/],
  ['userName eq "x" # 1', /unexpected character '#'/],
  ['emails[type eq "work" and phones[value pr]]', /cannot be nested/],
  ['emails[type eq "work"].', /sub-attribute name/],
  ['a.b.c eq "x"', /not an attribute path/],
  ['foo:userName eq "x"', /must be a URN/],
  ['not active eq true', /'not' at character 1 must be followed by '\('/],
  ['()', /expected an attribute/],
  [`${'('.repeat(40)}a eq 1${')'.repeat(40)}`, /nested deeper/],
  [Array.from({ length: 101 }, (_, i) => `a eq ${i}`).join(' or '), /more than 100 conditions/],
];

describe('parseScimFilter rejects bad filters with invalidFilter, never a throw', () => {
  it.each(rejects)('%j', (text, detail) => {
    const result = parseScimFilter(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.status).toBe(400);
    expect(result.error.scimType).toBe('invalidFilter');
    expect(result.error.message).toMatch(detail);
  });
});

describe('parseAttributePath (sortBy)', () => {
  it('splits a URN-qualified path into schema and names', () => {
    expect(parseAttributePath(`${ENTERPRISE}:manager.value`)).toEqual({
      ok: true,
      value: { schema: ENTERPRISE, names: ['manager', 'value'] },
    });
  });

  it('rejects more than a path as invalidValue', () => {
    const result = parseAttributePath('userName eq "x"');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.scimType).toBe('invalidValue');
  });
});
