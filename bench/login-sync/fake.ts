/**
 * The Entra fake of the login-sync benchmark, in its own process so that the
 * load generator does not slow the IdP down (which would be measured as
 * Roster's latency). Driven over IPC by run.ts:
 *
 *   { cmd: 'start', users }   → { settings, logins }
 *   { cmd: 'latency', ms }    → {}
 *   { cmd: 'hang' }           → {}   (user lookups are accepted and never answered)
 *   { cmd: 'clear' }          → {}
 *   { cmd: 'lookups' }        → { lookups } (one-user reads served so far)
 */
import { FakeEntra } from '../../test/fakes/entra/index.js';

let fake: FakeEntra | undefined;

process.on('message', async (msg: { cmd: string; users?: number; ms?: number }) => {
  const reply = (body: unknown) => process.send!(body);
  switch (msg.cmd) {
    case 'start': {
      fake = await FakeEntra.start();
      const admins = fake.directory.addGroup({ displayName: 'Admins' }).id;
      const logins: string[] = [];
      for (let i = 0; i < (msg.users ?? 1000); i++) {
        const id = fake.directory.addUser({ userPrincipalName: `u${i}@contoso.test`, mail: `u${i}@contoso.test`, displayName: `User ${i}` }).id;
        if (i % 10 === 0) fake.directory.addMember(admins, id);
        logins.push(`u${i}@contoso.test`);
      }
      const conn = fake.connection();
      return reply({ settings: { ...conn.settings, ...conn.secrets }, logins });
    }
    case 'latency':
      fake!.setLatency(msg.ms ?? 0);
      return reply({});
    case 'hang':
      fake!.hang({ match: /\/v1\.0\/users\// });
      return reply({});
    case 'clear':
      fake!.clearFaults();
      return reply({});
    case 'lookups':
      return reply({ lookups: fake!.requests.filter((r) => /^\/v1\.0\/users\/[^/]+$/.test(r.path)).length });
    case 'stop':
      await fake?.close();
      process.exit(0);
  }
});
