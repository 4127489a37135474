/**
 * What `npm test` does first on a machine without chromium or openssl:
 * install Debian's packages when it is root with apt-get, otherwise stop with
 * one line naming what to install (test/setup/prerequisites.ts).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHROMIUM, DEFAULT_POSTGRES_URL, postgresPlan, prerequisitesPlan, type Machine } from './prerequisites.js';

function machine(files: string[], options: { isRoot?: boolean; env?: NodeJS.ProcessEnv } = {}): Machine {
  return { env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...options.env }, isRoot: options.isRoot ?? false, executable: (f) => files.includes(f) };
}

const APT = '/usr/bin/apt-get';
const OPENSSL = '/usr/bin/openssl';

describe('npm test prerequisites', () => {
  it('is ready when Debian\'s chromium and openssl are there', () => {
    expect(prerequisitesPlan(machine([DEFAULT_CHROMIUM, OPENSSL, APT]))).toEqual({ action: 'ready' });
  });

  it('installs what is missing when it is root with apt-get', () => {
    expect(prerequisitesPlan(machine([APT, OPENSSL], { isRoot: true }))).toEqual({ action: 'install', packages: ['chromium'] });
    expect(prerequisitesPlan(machine([APT], { isRoot: true }))).toEqual({ action: 'install', packages: ['chromium', 'openssl'] });
  });

  it('stops with one line saying what to install when it may not install', () => {
    const plan = prerequisitesPlan(machine([APT, OPENSSL]));
    expect(plan).toEqual({
      action: 'stop',
      message:
        "npm test needs chromium (the admin console's end-to-end test): install it with: sudo apt-get install -y chromium, or set ROSTER_CHROMIUM to the path of a Chromium binary",
    });
    const noApt = prerequisitesPlan(machine([DEFAULT_CHROMIUM], { isRoot: true }));
    expect(noApt).toEqual({ action: 'stop', message: 'npm test needs openssl (the test certificates): install openssl with your package manager' });
  });

  it('uses the chromium ROSTER_CHROMIUM names, and stops if it is not there', () => {
    const custom = '/opt/chromium/chrome';
    expect(prerequisitesPlan(machine([custom, OPENSSL], { env: { ROSTER_CHROMIUM: custom } }))).toEqual({ action: 'ready' });
    const wrong = prerequisitesPlan(machine([APT, OPENSSL], { isRoot: true, env: { ROSTER_CHROMIUM: custom } }));
    expect(wrong).toMatchObject({ action: 'stop', message: expect.stringContaining('ROSTER_CHROMIUM is /opt/chromium/chrome, which is not an executable file') });
  });
});

describe('npm test and its Postgres server', () => {
  const state = { url: DEFAULT_POSTGRES_URL, reachable: false, isRoot: true, clusters: ['15'], pgCtlcluster: true };

  it('is ready when the server answers', () => {
    expect(postgresPlan({ ...state, reachable: true })).toEqual({ action: 'ready' });
  });

  it('starts the installed Debian cluster when it is root and the server is local', () => {
    expect(postgresPlan({ ...state, clusters: ['13', '15'] })).toEqual({ action: 'start', version: '15' });
  });

  it('stops with one line saying what to do otherwise', () => {
    expect(postgresPlan({ ...state, isRoot: false })).toEqual({
      action: 'stop',
      message: 'npm test needs a Postgres server at 127.0.0.1:5432 (its database fault tests): start it with: sudo pg_ctlcluster --skip-systemctl-redirect 15 main start, or set DATABASE_URL to a server',
    });
    expect(postgresPlan({ ...state, clusters: [] })).toMatchObject({ action: 'stop', message: expect.stringContaining('sudo apt-get install -y postgresql') });
    // A remote DATABASE_URL that does not answer is not the local cluster's to start.
    expect(postgresPlan({ ...state, url: 'postgres://roster@db.example:5432/roster' })).toMatchObject({ action: 'stop', message: expect.stringMatching(/^npm test needs a Postgres server at db\.example:5432 .*none answers there/) });
  });
});
