/**
 * The fake Entra/Graph server's own wire contract (plain fetch, no SDK), and
 * the generated directories the benchmark and `roster demo` reuse.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEntra, generateDirectory } from '../../fakes/entra/index.js';
import { collect, entraProvider } from '../../fakes/entra/harness.js';

let fake: FakeEntra | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function token(f: FakeEntra, secret = f.clientSecret): Promise<Response> {
  return fetch(`${f.url}/${f.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: f.clientId, client_secret: secret, scope: `${f.url}/.default` }),
  });
}

describe('fake Entra wire contract', () => {
  it('issues client-credentials tokens and answers a wrong secret with 401 invalid_client AADSTS7000215', async () => {
    fake = await FakeEntra.start();
    const ok = await token(fake);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    const bad = await token(fake, 'nope');
    expect(bad.status).toBe(401);
    const body = (await bad.json()) as { error: string; error_description: string; error_codes: number[] };
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toMatch(/^AADSTS7000215: /);
    expect(body.error_codes).toEqual([7000215]);
  });

  it('refuses Graph calls without a valid bearer token (401 InvalidAuthenticationToken)', async () => {
    fake = await FakeEntra.start();
    const res = await fetch(`${fake.url}/v1.0/users/delta`, { headers: { authorization: 'Bearer forged' } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
  });

  it('pages a delta round with either a nextLink or a deltaLink, never both, and honours $select', async () => {
    fake = await FakeEntra.start({ objectsPerPage: 2 });
    for (let i = 0; i < 5; i++) fake.directory.addUser({ userPrincipalName: `u${i}@x.example`, displayName: `U${i}`, mail: null });
    const { access_token: bearer } = (await (await token(fake)).json()) as { access_token: string };
    const headers = { authorization: `Bearer ${bearer}` };
    const pages: Array<Record<string, unknown>> = [];
    for (let link: string | undefined = `${fake.url}/v1.0/users/delta?$select=displayName,accountEnabled`; link; ) {
      const page = (await (await fetch(link, { headers })).json()) as Record<string, unknown>;
      pages.push(page);
      expect('@odata.nextLink' in page && '@odata.deltaLink' in page).toBe(false);
      link = page['@odata.nextLink'] as string | undefined;
    }
    expect(pages).toHaveLength(3);
    expect((pages[0]!.value as unknown[])[0]).toEqual({ id: expect.any(String), displayName: 'U0', accountEnabled: true });
    expect(pages[2]!['@odata.deltaLink']).toMatch(/\$deltatoken=/);
    fake.expireDeltaTokens();
    const expired = await fetch(pages[2]!['@odata.deltaLink'] as string, { headers });
    expect(expired.status).toBe(400);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('syncStateNotFound');
  });

  it('leaves accountEnabled out when no $select is given, as Graph does', async () => {
    fake = await FakeEntra.start();
    fake.directory.addUser({ userPrincipalName: 'a@x.example', accountEnabled: false });
    const { access_token: bearer } = (await (await token(fake)).json()) as { access_token: string };
    const page = (await (await fetch(`${fake.url}/v1.0/users`, { headers: { authorization: `Bearer ${bearer}` } })).json()) as { value: Array<Record<string, unknown>> };
    expect(page.value[0]).toHaveProperty('userPrincipalName', 'a@x.example');
    expect(page.value[0]).not.toHaveProperty('accountEnabled');
  });
});

describe('generated directories', () => {
  it('builds the benchmark tenant (100k users, 5k groups, 500k links) in seconds and within memory', () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    const dir = generateDirectory({ users: 100_000, groups: 5_000, memberships: 500_000, seed: 7 });
    const seconds = (Date.now() - started) / 1000;
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    expect(dir.users).toHaveLength(100_000);
    expect(dir.groups).toHaveLength(5_000);
    expect(dir.groups.reduce((n, g) => n + g.members.size, 0)).toBe(500_000 + 100); // + nested links (every 50th group)
    expect(dir.linkLog).toHaveLength(0); // the initial state is not a change
    expect(seconds).toBeLessThan(15);
    expect(heapMb).toBeLessThan(400);
  });

  it('serves a generated tenant to the provider in the minimum number of pages', async () => {
    fake = await FakeEntra.start({ directory: generateDirectory({ users: 5_000, groups: 300, memberships: 20_000, seed: 3 }) });
    const { provider, stats } = entraProvider(fake);
    const run = await provider.run({ cursor: null });
    const events = (await collect(run)).flat();
    expect(events.filter((e) => e.type === 'user')).toHaveLength(5_000);
    const links = events.reduce((n, e) => n + (e.type === 'members' ? e.userExternalIds.length + e.groupExternalIds.length : 0), 0);
    expect(links).toBe(20_000 + 6);
    expect(fake.count(/users\/delta$/)).toBe(Math.ceil(5_000 / 200));
    expect(fake.count(/groups\/delta$/)).toBe(Math.ceil(20_006 / 500));
    expect(stats.apiRequests).toBe(fake.requests.length);
  });
});
