import { describe, expect, it } from 'vitest';
import { parseDeletionThreshold, parseSchedule } from '../../../src/core/connections/index.js';
import { maskedSettings, mergeSettings, parseKind, validateSettings } from '../../../src/pull/providers/connection-settings.js';
import { ValidationError } from '../../../src/core/errors/index.js';

const entra = { tenantId: 'contoso-tenant', clientId: 'app-1', clientSecret: 'very-secret' };
const saKey = { type: 'service_account', client_email: 'sync@proj.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----x' };

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('expected a ValidationError');
}

describe('connection settings', () => {
  it('splits entra secrets off the stored settings', () => {
    const split = validateSettings('entra', { ...entra, graphBaseUrl: 'https://graph.microsoft.com' });
    expect(split.settings).toEqual({ tenantId: 'contoso-tenant', clientId: 'app-1', graphBaseUrl: 'https://graph.microsoft.com' });
    expect(split.secrets).toEqual({ clientSecret: 'very-secret' });
  });

  it('names a missing field, an unknown field and a bad URL', () => {
    expect(messageOf(() => validateSettings('entra', { tenantId: 't', clientId: 'c' }))).toMatch(/"clientSecret" is required/);
    expect(messageOf(() => validateSettings('entra', { ...entra, clientSecrt: 'x' }))).toMatch(/unknown field "clientSecrt"/);
    expect(messageOf(() => validateSettings('entra', { ...entra, authorityHost: 'not a url' }))).toMatch(/"authorityHost" must be an https URL/);
  });

  it('accepts okta with an API token or with OAuth, but not both or neither', () => {
    expect(validateSettings('okta', { orgUrl: 'https://acme.okta.com', apiToken: 'ssws' }).secrets).toEqual({ apiToken: 'ssws' });
    const oauth = validateSettings('okta', { orgUrl: 'https://acme.okta.com', clientId: 'c', privateKey: 'pk', keyId: 'k' });
    expect(oauth.settings).toEqual({ orgUrl: 'https://acme.okta.com', clientId: 'c', keyId: 'k' });
    expect(oauth.secrets).toEqual({ privateKey: 'pk' });
    expect(messageOf(() => validateSettings('okta', { orgUrl: 'https://acme.okta.com' }))).toMatch(/"apiToken" is required/);
    expect(messageOf(() => validateSettings('okta', { orgUrl: 'https://acme.okta.com', apiToken: 't', clientId: 'c' }))).toMatch(/cannot be combined/);
    expect(messageOf(() => validateSettings('okta', { orgUrl: 'https://acme.okta.com', clientId: 'c' }))).toMatch(/"privateKey" is required for OAuth/);
  });

  it('accepts a google service account key as an object or as JSON text, defaulting the customer', () => {
    const fromText = validateSettings('google', { subject: 'admin@acme.test', serviceAccountKey: JSON.stringify(saKey) });
    expect(fromText.settings).toEqual({ subject: 'admin@acme.test', customer: 'my_customer' });
    expect(fromText.secrets).toEqual({ serviceAccountKey: saKey });
    expect(validateSettings('google', { subject: 'admin@acme.test', serviceAccountKey: saKey, customer: 'C0123' }).settings.customer).toBe('C0123');
    expect(messageOf(() => validateSettings('google', { subject: 'admin@acme.test', serviceAccountKey: 'not json' }))).toMatch(/"serviceAccountKey"/);
  });

  it('takes a throttle budget in seconds on every pull connection, and refuses a negative or absurd one, naming the field', () => {
    for (const [kind, base] of [['entra', entra], ['okta', { orgUrl: 'https://acme.okta.com', apiToken: 'ssws' }], ['google', { subject: 'admin@acme.test', serviceAccountKey: saKey }], ['ldap', { url: 'ldaps://ldap.acme.test', bindDn: 'cn=roster', bindPassword: 'pw', baseDn: 'dc=acme' }]] as const) {
      expect(validateSettings(kind, { ...base, throttleBudgetSeconds: 120 }).settings).toMatchObject({ throttleBudgetSeconds: 120 });
      expect(messageOf(() => validateSettings(kind, { ...base, throttleBudgetSeconds: -1 }))).toMatch(/throttleBudgetSeconds/);
      expect(messageOf(() => validateSettings(kind, { ...base, throttleBudgetSeconds: 10 ** 9 }))).toMatch(/throttleBudgetSeconds/);
      expect(messageOf(() => validateSettings(kind, { ...base, throttleBudgetSeconds: '300' }))).toMatch(/throttleBudgetSeconds/);
    }
  });

  it('takes no settings for scim and refuses unknown kinds', () => {
    expect(validateSettings('scim', {})).toEqual({ settings: {}, secrets: null });
    expect(messageOf(() => validateSettings('scim', { token: 'x' }))).toMatch(/unknown field "token"/);
    expect(messageOf(() => parseKind('workday'))).toMatch(/unknown connection kind "workday"/);
  });

  it('keeps stored secrets an update leaves out, and masks secrets for display', () => {
    const merged = mergeSettings('entra', { tenantId: 'new', clientId: 'app-1' }, { settings: { tenantId: 'old', clientId: 'app-1' }, secrets: { clientSecret: 'very-secret' } });
    expect(merged).toEqual({ settings: { tenantId: 'new', clientId: 'app-1' }, secrets: { clientSecret: 'very-secret' } });
    expect(maskedSettings('entra', merged.settings, ['clientSecret'])).toEqual({ tenantId: 'new', clientId: 'app-1', clientSecret: '(set)' });
  });

  it('validates cron schedules and deletion thresholds', () => {
    expect(parseSchedule(' */15 * * * * ')).toBe('*/15 * * * *');
    expect(messageOf(() => parseSchedule('every hour'))).toMatch(/not a valid cron expression/);
    // node-cron's validate() accepts this one, which never fires (the 1st of a month AND its 2nd Monday).
    expect(messageOf(() => parseSchedule('0 0 1 * 1#2', 'fullSchedule'))).toBe('fullSchedule "0 0 1 * 1#2" never fires (no date matches all of its fields)');
    expect(messageOf(() => parseSchedule('0 0 31 2 *'))).toMatch(/^schedule "0 0 31 2 \*" is not a valid cron expression/);
    // Rare is fine as long as it fires within the horizon: 1 January that is a Monday.
    expect(parseSchedule('0 0 1 1 1')).toBe('0 0 1 1 1');
    expect(parseDeletionThreshold('25')).toEqual({ count: 25, percent: null });
    expect(parseDeletionThreshold('10%')).toEqual({ count: null, percent: 10 });
    expect(messageOf(() => parseDeletionThreshold('150%'))).toMatch(/at most 100%/);
    expect(messageOf(() => parseDeletionThreshold('lots'))).toMatch(/must be a number/);
  });
});

describe('attribute expressions in connection settings', () => {
  it('keeps valid expressions with the settings of a pull and a SCIM connection', () => {
    const expressions = { fields: { email: '$lowercase(mail)' }, custom: { costCenter: 'extension_app_costCenter' } };
    expect(validateSettings('entra', { ...entra, expressions }).settings.expressions).toEqual(expressions);
    expect(validateSettings('scim', { expressions }).settings.expressions).toEqual(expressions);
  });

  it('refuses a bad expression at save, naming the field and JSONata\'s message', () => {
    const msg = messageOf(() => validateSettings('okta', { orgUrl: 'https://acme.okta.com', apiToken: 't', expressions: { custom: { costCenter: 'profile.costCenter +' } } }));
    expect(msg).toMatch(/okta settings: "expressions\.custom\.costCenter" is not a valid JSONata expression: .*end of expression/i);
    const name = messageOf(() => validateSettings('scim', { expressions: { custom: { 'cost-center': 'x' } } }));
    expect(name).toMatch(/"expressions\.custom\.cost-center" is not a valid name/);
  });
});
