const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Guards lookups by id, so a name that is not a uuid never reaches a uuid cast (which would be a 500). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
