/** `roster connection preview-attributes`: unsaved expressions from a file over users read live from Okta's fake. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { oktaAdapter } from '../../pull/providers/contract/adapters.js';
import type { ContractFake } from '../../pull/providers/contract/adapter.js';
import { personNamed } from '../../pull/providers/contract/scenario.js';
import { cliEnvironment, runCli, type CliEnvironment } from './support.js';

let cli: CliEnvironment;
let fake: ContractFake;
const run = (...argv: string[]) => runCli(argv, cli.env);

beforeAll(async () => {
  cli = await cliEnvironment();
  fake = await oktaAdapter.start();
  for (const name of ['ann', 'bo', 'cy']) fake.setCustomAttribute(fake.addUser(personNamed(name, fake.domain)), `CC-00${name.length}`);
  const settings = path.join(cli.dataDir, 'okta.json');
  writeFileSync(settings, JSON.stringify(fake.connectionSettings()));
  expect((await run('tenant', 'create', 'acme')).code).toBe(0);
  expect((await run('connection', 'create', '--tenant', 'acme', '--name', 'okta', '--kind', 'okta', '--settings', settings)).code).toBe(0);
}, 60_000);
afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

it('prints each user\'s fields and custom attributes, as a table and as JSON', async () => {
  const file = path.join(cli.dataDir, 'expressions.json');
  writeFileSync(file, JSON.stringify({ custom: { costCenter: oktaAdapter.customAttributeExpression, code: '$number($replace(profile.costCenter, "CC-", ""))' } }));
  const json = await run('connection', 'preview-attributes', 'acme/okta', '--expressions-file', file, '--users', '2', '--json');
  expect(json.code).toBe(0);
  const body = JSON.parse(json.stdout);
  expect(body.users).toHaveLength(2);
  expect(body.users[0]).toMatchObject({ custom: { costCenter: expect.stringMatching(/^CC-00\d$/), code: expect.any(Number) }, errors: [] });
  const human = await run('connection', 'preview-attributes', 'acme/okta', '--expressions-file', file);
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(/USERNAME.*costCenter.*code/);
  expect(human.stdout).toContain(`ann@${fake.domain}`);
});

it('refuses a bad expression in the file, naming the field', async () => {
  const file = path.join(cli.dataDir, 'bad.json');
  writeFileSync(file, JSON.stringify({ fields: { email: 'profile.email +' } }));
  const res = await run('connection', 'preview-attributes', 'acme/okta', '--expressions-file', file);
  expect(res.code).not.toBe(0);
  expect(res.stderr).toMatch(/expressions\.fields\.email .*not a valid JSONata expression/);
});
