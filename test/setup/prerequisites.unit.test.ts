/**
 * What `npm test` does first on a machine without chromium, openssl, slapd,
 * ldap-utils or samba-ad-dc:
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
/** slapd, ldap-utils and samba-ad-dc as Debian installs them. */
const DIRECTORIES = ['/usr/sbin/slapd', '/usr/bin/ldapsearch', '/usr/sbin/samba', '/usr/bin/samba-tool'];

describe('npm test prerequisites', () => {
  it('is ready when Debian\'s chromium, openssl, slapd, ldap-utils and samba-ad-dc are there', () => {
    expect(prerequisitesPlan(machine([DEFAULT_CHROMIUM, OPENSSL, APT, ...DIRECTORIES]))).toEqual({ action: 'ready' });
  });

  it('finds the daemons in /usr/sbin when PATH leaves sbin out, as a non-root PATH does', () => {
    const env = { PATH: '/usr/bin:/bin' };
    expect(prerequisitesPlan(machine([DEFAULT_CHROMIUM, OPENSSL, ...DIRECTORIES], { env }))).toEqual({ action: 'ready' });
  });

  it('installs the directory servers the LDAP and Active Directory tests run when it is root with apt-get', () => {
    expect(prerequisitesPlan(machine([APT, DEFAULT_CHROMIUM, OPENSSL], { isRoot: true }))).toEqual({ action: 'install', packages: ['slapd', 'ldap-utils', 'samba-ad-dc'] });
    // samba-tool alone (samba-common-bin) is not a domain controller.
    const noSamba = machine([APT, DEFAULT_CHROMIUM, OPENSSL, '/usr/sbin/slapd', '/usr/bin/ldapsearch', '/usr/bin/samba-tool'], { isRoot: true });
    expect(prerequisitesPlan(noSamba)).toEqual({ action: 'install', packages: ['samba-ad-dc'] });
  });

  it('says which tests need slapd, ldap-utils and samba-ad-dc when it may not install them', () => {
    expect(prerequisitesPlan(machine([APT, DEFAULT_CHROMIUM, OPENSSL, '/usr/sbin/slapd', '/usr/bin/ldapsearch']))).toEqual({
      action: 'stop',
      message: 'npm test needs samba-ad-dc (the Active Directory tests): install it with: sudo apt-get install -y samba-ad-dc',
    });
    expect(prerequisitesPlan(machine([APT, DEFAULT_CHROMIUM, OPENSSL]))).toEqual({
      action: 'stop',
      message:
        "npm test needs slapd and ldap-utils and samba-ad-dc (the ldap provider's OpenLDAP tests; the Active Directory tests): install them with: sudo apt-get install -y slapd ldap-utils samba-ad-dc",
    });
  });

  it('installs what is missing when it is root with apt-get', () => {
    expect(prerequisitesPlan(machine([APT, OPENSSL, ...DIRECTORIES], { isRoot: true }))).toEqual({ action: 'install', packages: ['chromium'] });
    expect(prerequisitesPlan(machine([APT, ...DIRECTORIES], { isRoot: true }))).toEqual({ action: 'install', packages: ['chromium', 'openssl'] });
  });

  it('stops with one line saying what to install when it may not install', () => {
    const plan = prerequisitesPlan(machine([APT, OPENSSL, ...DIRECTORIES]));
    expect(plan).toEqual({
      action: 'stop',
      message:
        "npm test needs chromium (the admin console's end-to-end test): install it with: sudo apt-get install -y chromium, or set ROSTER_CHROMIUM to the path of a Chromium binary",
    });
    const noApt = prerequisitesPlan(machine([DEFAULT_CHROMIUM, ...DIRECTORIES], { isRoot: true }));
    expect(noApt).toEqual({ action: 'stop', message: 'npm test needs openssl (the test certificates): install openssl with your package manager' });
  });

  it('uses the chromium ROSTER_CHROMIUM names, and stops if it is not there', () => {
    const custom = '/opt/chromium/chrome';
    expect(prerequisitesPlan(machine([custom, OPENSSL, ...DIRECTORIES], { env: { ROSTER_CHROMIUM: custom } }))).toEqual({ action: 'ready' });
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
