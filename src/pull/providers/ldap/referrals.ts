/**
 * Referrals, reported and never followed. A subtree search that meets a
 * subtree held by another server gets a continuation reference (RFC 4511
 * §4.5.3) in place of its entries; a search whose base lives on another
 * server fails with result 10, referral (§4.1.10).
 *
 * Why not follow them: the URL comes from the directory's data, not from the
 * connection's settings, so following it would send the bind password to a
 * host the operator never named (and past the outbound URL policy's list of
 * configured endpoints); and a delta cursor (contextCSN, a DC's USN) means
 * something on one server only. So a listing that was handed a reference is
 * read to its end and the run then fails, naming the URL: the users it did
 * read are updated, and nobody is deactivated or removed for having lived
 * in the subtree Roster did not read.
 *
 * ldapts keeps a continuation reference's URLs (`searchReferences` of a
 * page) but drops the URLs of a referral result; `referralTarget` reads
 * them back from the referral entry itself (the ManageDsaIT control).
 */
import { Control, type Client } from 'ldapts';
import { ProviderError } from '../types.js';
import { allOf } from './map.js';
import type { LdapFlavor } from './settings.js';

/** ManageDsaIT (RFC 3296): a referral object is returned as an entry instead of acted on. */
export const MANAGE_DSA_IT_OID = '2.16.840.1.113730.3.4.2';

/**
 * AD partitions a domain-root search is referred to that hold no users or
 * groups: the DNS application partitions and the configuration and schema
 * naming contexts (MS-ADTS 3.1.1.1.5). A reference to a child domain is not
 * among them: its users are real.
 */
const AD_PARTITIONS_WITHOUT_PEOPLE = /^(DC=DomainDnsZones|DC=ForestDnsZones|CN=Configuration|CN=Schema),/i;

/** The DN an LDAP URL names (RFC 4516: ldap://host/dn?attributes?scope?filter). */
export function referenceDn(url: string): string {
  const path = /^ldaps?:\/\/[^/]*\/([^?]*)/i.exec(url)?.[1] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The continuation references a run's listings were handed, except those that cannot hold what it reads. */
export class SkippedSubtrees {
  private readonly urls = new Set<string>();

  constructor(private readonly flavor: LdapFlavor) {}

  note(urls: readonly string[]): void {
    for (const url of urls) {
      if (this.flavor === 'active-directory' && AD_PARTITIONS_WITHOUT_PEOPLE.test(referenceDn(url))) continue;
      this.urls.add(url);
    }
  }

  /** What was skipped and what to do about it; undefined when nothing was. */
  message(): string | undefined {
    if (this.urls.size === 0) return undefined;
    const list = [...this.urls].slice(0, 5).join(', ') + (this.urls.size > 5 ? ` and ${this.urls.size - 5} more` : '');
    return `the directory returned a referral to ${list}: entries there live on another server and were not read (Roster does not follow referrals); point baseDn at that server or add it as another connection`;
  }

  /** Throws when a subtree was skipped: the run read only part of the base DN. */
  assertNone(): void {
    const message = this.message();
    if (message) throw new ProviderError('not-found', `${message}. This run is incomplete and deactivates nobody`);
  }
}

/**
 * The URL of the referral a search based at `dn` ran into: the `ref` of the
 * referral entry at `dn` or above it, read with ManageDsaIT. Undefined when
 * none can be read (AD's referrals to other domains have no entry).
 */
export async function referralTarget(client: Client, dn: string): Promise<string | undefined> {
  const parts = dn.split(/(?<!\\),/);
  for (let i = 0; i < parts.length; i++) {
    try {
      const { searchEntries } = await client.search(parts.slice(i).join(','), { scope: 'base', filter: '(objectClass=*)', attributes: ['ref'] }, new Control(MANAGE_DSA_IT_OID));
      const ref = searchEntries[0] ? allOf(searchEntries[0], 'ref') : [];
      if (ref.length) return ref.join(', ');
    } catch {
      // Below the referral entry the server refers again (or finds nothing): climb.
    }
  }
  return undefined;
}
