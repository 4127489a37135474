/**
 * Which domain controller answers and how far its changes go. USNs are per
 * DC: a uSNChanged cursor means something only on the DC (and the database
 * incarnation, its invocationId) that issued it. A DC restored from backup
 * gets a new invocationId, and a cursor from before must start over.
 */
import type { Client } from 'ldapts';
import { ProviderError } from '../../types.js';
import { bufferValue, stringValue, usnValue } from './entry.js';
import { formatObjectGuid } from './guid.js';

export interface DcState {
  /** The DC's database incarnation (its NTDS Settings invocationId), formatted as a GUID. */
  invocationId: string;
  /** The rootDSE's highestCommittedUSN: every change so far has a USN at or below it. */
  highestCommittedUsn: number;
  /** The DC's NTDS Settings object (the rootDSE's dsServiceName), which names the DC. */
  dcDn: string;
}

export async function readDcState(client: Client): Promise<DcState> {
  const root = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['dsServiceName', 'highestCommittedUSN'] });
  const rootDse = root.searchEntries[0];
  const dcDn = rootDse && stringValue(rootDse, 'dsServiceName');
  if (!rootDse || !dcDn) throw new ProviderError('bad-response', 'the rootDSE has no dsServiceName: the server is not an Active Directory domain controller');
  const highestCommittedUsn = usnValue(rootDse, 'highestCommittedUSN');
  const ntds = await client.search(dcDn, { scope: 'base', filter: '(objectClass=*)', attributes: ['invocationId'], explicitBufferAttributes: ['invocationId'] });
  const settings = ntds.searchEntries[0];
  if (!settings) throw new ProviderError('bad-response', `the DC's NTDS Settings (${dcDn}) could not be read`);
  return { invocationId: formatObjectGuid(bufferValue(settings, 'invocationId')), highestCommittedUsn, dcDn };
}
