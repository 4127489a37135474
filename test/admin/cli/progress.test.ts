import { describe, expect, it } from 'vitest';
import { main } from '../../../src/admin/cli/main.js';
import { startFakeOkta } from '../../fakes/okta/index.js';
import { cliEnvironment, runCli } from './support.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

describe('roster sync on a terminal', () => {
  it('shows a progress line on stderr while it reads the directory, and none with --json', async () => {
    const cli = await cliEnvironment();
    const fake = await startFakeOkta();
    try {
      for (let i = 0; i < 450; i++) fake.directory.addUser({ profile: { login: `u${i}@okta.test`, firstName: 'U', lastName: `${i}` } });
      const file = path.join(cli.dataDir, 'okta.json');
      writeFileSync(file, JSON.stringify({ orgUrl: fake.url, apiToken: 'test-token' }));
      expect((await runCli(['tenant', 'create', 'acme'], cli.env)).code).toBe(0);
      expect((await runCli(['connection', 'create', '--tenant', 'acme', '--name', 'okta', '--kind', 'okta', '--settings', file], cli.env)).code).toBe(0);
      let stderr = '';
      let stdout = '';
      const code = await main({
        argv: ['sync', 'acme/okta', '--full'],
        env: cli.env,
        stdout: { write: (s: string) => (stdout += s) },
        stderr: Object.assign({ write: (s: string) => (stderr += s) }, { isTTY: true }),
      });
      expect(code).toBe(0);
      expect(stderr).toMatch(/syncing acme\/okta: pages \d+ · users \d+/);
      expect(stdout).toMatch(/status: succeeded/);
      const json = await runCli(['sync', 'acme/okta', '--json'], cli.env);
      expect(json.stderr).not.toMatch(/syncing/);
    } finally {
      await fake.close();
      await cli.cleanup();
    }
  });
});
