/**
 * What changed on one DC since a USN (MS-ADTS 3.1.1.1.9): every write stamps
 * the object's uSNChanged with the DC's next USN, so `uSNChanged >= usn + 1`
 * finds what changed after a cursor read as highestCommittedUSN (LDAP filters
 * have no `>`). Deletions do not show in that search: a deleted object becomes
 * a tombstone under CN=Deleted Objects, visible only with the Show Deleted
 * control. Removing a deleted member from a group does not bump the group's
 * uSNChanged (checked on Samba), so removals come from the tombstones.
 */
import { Control, type Client, type Entry } from 'ldapts';
import { ProviderError } from '../../types.js';
import { bufferValue, stringValues, usnValue } from './entry.js';
import { formatObjectGuid } from './guid.js';

/** LDAP_SERVER_SHOW_DELETED_OID (MS-ADTS 3.1.1.3.4.1.14): the search also returns tombstones. */
export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';
/** Attributes AD returns as bytes; ldapts would decode them as UTF-8 otherwise. */
export const BINARY_ATTRIBUTES = ['objectGUID', 'objectSid', 'invocationId'];

function usnFilter(filter: string, usn: number): string {
  // A cursor that holds no USN cannot be continued from: start over with a full run.
  if (!Number.isSafeInteger(usn) || usn < 0) throw new ProviderError('cursor-expired', `the cursor's USN is not a non-negative integer: ${usn}`);
  const inner = filter.trim().startsWith('(') ? filter.trim() : `(${filter.trim()})`;
  return `(&${inner}(uSNChanged>=${usn + 1}))`;
}

/**
 * Entries under `baseDn` matching `filter` that changed after `usn`, a page of
 * up to `pageSize` at a time (the paged results control, RFC 2696).
 */
export async function* searchChangedSince(
  client: Client,
  baseDn: string,
  filter: string,
  usn: number,
  pageSize: number,
  attributes: string[] = ['*', 'objectGUID', 'uSNChanged'],
  /** Each page's continuation references (a subtree on another server), for the caller to report. */
  onReferences: (urls: string[]) => void = () => undefined,
): AsyncGenerator<Entry[]> {
  const options = { scope: 'sub' as const, filter: usnFilter(filter, usn), attributes, explicitBufferAttributes: BINARY_ATTRIBUTES, paged: { pageSize } };
  for await (const page of client.searchPaginated(baseDn, options)) {
    onReferences(page.searchReferences);
    yield page.searchEntries;
  }
}

export interface Tombstone {
  /** The deleted object's objectGUID, formatted: the ID it had while alive. */
  objectGuid: string;
  kind: 'user' | 'group';
  /** The tombstone's uSNChanged: the USN of the deletion. */
  usnChanged: number;
  /** Where the object lived before it was deleted. */
  lastKnownParent: string | undefined;
}

/**
 * Users and groups deleted after `usn`, from the naming context's `CN=Deleted
 * Objects` (the domain's, e.g. DC=corp,DC=example: there is none under an OU;
 * `lastKnownParent` says where each one lived).
 */
export async function searchTombstones(client: Client, namingContext: string, usn: number, pageSize = 500): Promise<Tombstone[]> {
  // A tombstone keeps objectClass but loses objectCategory; computers are users too.
  const filter = usnFilter('(&(isDeleted=TRUE)(|(objectClass=user)(objectClass=group))(!(objectClass=computer)))', usn);
  const tombstones: Tombstone[] = [];
  const pages = client.searchPaginated(
    `CN=Deleted Objects,${namingContext}`,
    { scope: 'one', filter, attributes: ['objectGUID', 'objectClass', 'uSNChanged', 'lastKnownParent'], explicitBufferAttributes: BINARY_ATTRIBUTES, paged: { pageSize } },
    new Control(SHOW_DELETED_OID, { critical: true }),
  );
  for await (const page of pages) {
    for (const entry of page.searchEntries) {
      const classes = stringValues(entry, 'objectClass').map((c) => c.toLowerCase());
      tombstones.push({
        objectGuid: formatObjectGuid(bufferValue(entry, 'objectGUID')),
        kind: classes.includes('group') ? 'group' : 'user',
        usnChanged: usnValue(entry, 'uSNChanged'),
        lastKnownParent: stringValues(entry, 'lastKnownParent')[0],
      });
    }
  }
  return tombstones;
}
