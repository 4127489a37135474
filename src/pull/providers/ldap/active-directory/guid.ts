/**
 * AD's GUIDs (objectGUID, invocationId) are 16 bytes in Microsoft's GUID
 * layout (MS-DTYP 2.3.4.2): the first three fields are little-endian, the last
 * eight bytes are in order. Formatting the raw bytes as hex gives a string no
 * AD tool shows; this gives the one `samba-tool user show` and PowerShell
 * `Get-ADUser` show.
 */
import { ProviderError } from '../../types.js';

export function formatObjectGuid(bytes: Buffer): string {
  if (!Buffer.isBuffer(bytes) || bytes.length !== 16) {
    throw new ProviderError('bad-response', `an AD GUID must be 16 bytes, got ${Buffer.isBuffer(bytes) ? `${bytes.length} bytes` : typeof bytes} (was the attribute listed in explicitBufferAttributes?)`);
  }
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
}
