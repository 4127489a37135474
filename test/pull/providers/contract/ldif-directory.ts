/**
 * The scenario words of a real LDAP server (./ldap.ts on slapd, ./samba.ts on
 * Samba AD), written as ldap-utils commands run to completion: the scenarios
 * (./scenario.ts) are synchronous. Entries are known by the id the provider
 * reports (`idOf` reads it back after the add), so a rename or move keeps it.
 */
import { execFileSync } from 'node:child_process';

export interface LdifDirectory {
  /** Apply LDIF change records with ldapmodify. */
  ldif(text: string): void;
  /** Add an entry; returns its id. */
  add(dn: string, lines: string[]): string;
  modify(id: string, op: 'add' | 'delete' | 'replace', attr: string, value?: string): void;
  remove(id: string): void;
  dnOf(id: string): string;
}

/** `auth`: ldapmodify/ldapsearch options reaching the server as an administrator. */
export function ldifDirectory(auth: string[], idOf: (search: (attribute: string) => string) => string): LdifDirectory {
  const ldif = (text: string) => void execFileSync('ldapmodify', auth, { input: text, stdio: ['pipe', 'ignore', 'pipe'] });
  const dns = new Map<string, string>();
  const dnOf = (id: string) => {
    const dn = dns.get(id);
    if (!dn) throw new Error(`no entry with id ${id} in this scenario`);
    return dn;
  };
  return {
    ldif,
    dnOf,
    add(dn, lines) {
      ldif([`dn: ${dn}`, 'changetype: add', ...lines, ''].join('\n'));
      const id = idOf((attribute) => execFileSync('ldapsearch', [...auth, '-LLL', '-o', 'ldif-wrap=no', '-b', dn, '-s', 'base', attribute], { encoding: 'utf8' }));
      dns.set(id, dn);
      return id;
    },
    modify(id, op, attr, value) {
      ldif([`dn: ${dnOf(id)}`, 'changetype: modify', `${op}: ${attr}`, ...(value === undefined ? [] : [`${attr}: ${value}`]), '-', ''].join('\n'));
    },
    remove(id) {
      ldif([`dn: ${dnOf(id)}`, 'changetype: delete', ''].join('\n'));
      dns.delete(id);
    },
  };
}
