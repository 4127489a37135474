/**
 * Runs the IdP vendors' own SCIM suites against a Roster server started from
 * a clean state: Microsoft's SCIM reference Postman collection (newman) and
 * Okta's SCIM 2.0 spec test (its Runscope runner). Exits non-zero when any
 * assertion fails.
 *
 *   npm run test:conformance            # embedded database
 *   DATABASE_URL=... npm run test:conformance
 *
 * The suites live outside the repository (ROSTER_CONFORMANCE_DIR, default
 * ../shared/conformance); they are third-party data, not part of Roster.
 *
 * Each suite gets its own fresh SCIM connection, with the per-token rate limit
 * off (the suites fire requests back to back). Microsoft's collection asserts
 * 204 on PATCH, so its connection asks for that (`patchResponse: no-content`);
 * Okta's uses the default 200-with-resource.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import newman from 'newman';
import { silentLogger } from '../../src/core/logging/index.js';
import { operationNamed, runOperation } from '../../src/admin/operations/index.js';
import { SecretKeyring } from '../../src/core/secrets/index.js';
import { buildServer } from '../../src/server/index.js';
import { migrateStore, openStore } from '../../src/core/store/index.js';
import { createTestDatabase } from '../support/store.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const suites = path.resolve(process.env.ROSTER_CONFORMANCE_DIR ?? path.join(root, '../shared/conformance'));
const log = (msg: string) => process.stderr.write(`[conformance] ${msg}\n`);

if (!existsSync(path.join(suites, 'microsoft-scim-reference.postman_collection.json'))) {
  log(`no conformance suites in ${suites}; set ROSTER_CONFORMANCE_DIR`);
  process.exit(2);
}

const database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
const dataDir = database ? undefined : mkdtempSync(path.join(tmpdir(), 'roster-conformance-'));
const store = await openStore({ databaseUrl: database?.url, dataDir });
await migrateStore(store, database?.url);
const ctx = {
  store,
  keyring: new SecretKeyring({ secretKey: undefined, backend: store.backend, dataDir }),
  logger: silentLogger(),
  actor: { type: 'system' as const, id: 'conformance' },
};
const run = <T>(name: string, input: Record<string, unknown>) => runOperation(ctx, operationNamed(name), input) as Promise<T>;

async function scimConnection(name: string, settings: Record<string, unknown> = {}): Promise<string> {
  const connection = await run<{ id: string }>('connection.create', { tenant: 'conformance', name, kind: 'scim', settings });
  await run('connection.update', { connection: connection.id, scimRatePerMinute: 0 });
  return (await run<{ token: string }>('token.create', { connection: connection.id, name: `${name} suite` })).token;
}

await run('tenant.create', { slug: 'conformance' });
const microsoftToken = await scimConnection('microsoft', { patchResponse: 'no-content' });
const oktaToken = await scimConnection('okta');

const app = buildServer(ctx, {});
await app.listen({ port: 0, host: '127.0.0.1' });
const port = (app.server.address() as { port: number }).port;
const base = `http://127.0.0.1:${port}/scim/v2`;

// Okta's spec test needs one complete user to exist first.
const seeded = await fetch(`${base}/Users`, {
  method: 'POST',
  headers: { authorization: `Bearer ${oktaToken}`, 'content-type': 'application/scim+json' },
  body: JSON.stringify({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'seed.user@example.com',
    name: { givenName: 'Seed', familyName: 'User' },
    emails: [{ value: 'seed.user@example.com', type: 'work', primary: true }],
    active: true,
  }),
});
if (seeded.status !== 201) throw new Error(`seeding Okta's user failed: HTTP ${seeded.status}`);

interface SuiteResult {
  suite: string;
  requests: number;
  assertions: number;
  failed: number;
  failures: string[];
}

function runMicrosoft(): Promise<SuiteResult> {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection: path.join(suites, 'microsoft-scim-reference.postman_collection.json'),
        envVar: [
          { key: 'Protocol', value: 'http' },
          { key: 'Server', value: '127.0.0.1' },
          { key: 'Port', value: `:${port}` },
          { key: 'Api', value: 'scim/v2' },
          { key: 'token', value: microsoftToken },
        ],
        reporters: [],
      },
      (err, summary) => {
        if (err) return reject(err);
        const failures = summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.message}`);
        resolve({
          suite: 'microsoft-scim-reference',
          requests: summary.run.stats.requests.total ?? 0,
          assertions: summary.run.stats.assertions.total ?? 0,
          failed: failures.length,
          failures,
        });
      },
    );
  });
}

async function runOkta(): Promise<SuiteResult> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [
      path.join(suites, 'run-runscope.mjs'),
      path.join(suites, 'okta-scim20-spec-test.json'),
      '--init-script',
      path.join(suites, 'okta-initial-script-spec.js.txt'),
      '--var',
      `SCIMBaseURL=${base}`,
      '--var',
      `auth=Bearer ${oktaToken}`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  ).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }));
  const text = `${stdout}\n${stderr}`;
  const failures = text.split('\n').filter((l) => /^\s+(FAIL|REQUEST ERROR)/.test(l)).map((l) => l.trim());
  const counts = /(\d+)\s+passed,\s+(\d+)\s+failed/i.exec(text);
  return {
    suite: 'okta-scim20-spec-test',
    requests: (text.match(/^\s*(GET|POST|PUT|PATCH|DELETE)\b/gm) ?? []).length,
    assertions: counts ? Number(counts[1]) + Number(counts[2]) : 0,
    failed: counts ? Number(counts[2]) : failures.length || 1,
    failures: counts && Number(counts[2]) === 0 ? [] : failures.length ? failures : [text.slice(-2000)],
  };
}

let results: SuiteResult[] = [];
try {
  results = [await runMicrosoft(), await runOkta()];
} finally {
  await app.close();
  await store.close();
  await database?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
for (const r of results) {
  log(`${r.suite}: ${r.assertions - r.failed}/${r.assertions} assertions passed over ${r.requests} requests`);
  for (const f of r.failures) log(`  FAIL ${f}`);
}
console.log(JSON.stringify({ backend: store.backend, results }, null, 2));
const passed = results.reduce((n, r) => n + r.assertions - r.failed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`conformance: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && results.every((r) => r.assertions > 0) ? 0 : 1);
