// Where a one-time key is stored in its device's map, so a claim takes the oldest uploaded first
// (MSC4225; Complement's TestKeyClaimOrdering): `<algorithm>:\u007f<upload position>\u0000<index>\u0000<key id>`.
// Stored key ids sort by algorithm, then upload order. Keys stored before this order was kept
// (`<algorithm>:<key id>`) sort before every ordered one of their algorithm, as they are older.
const ORDERED = '\u007f';

/** The map key of the `index`th key of an upload recorded at `position` (a sequencePosition). */
export function orderedKeyId(id: string, position: string, index: number): string {
  const colon = id.indexOf(':');
  return `${id.slice(0, colon)}:${ORDERED}${position}\u0000${String(index).padStart(3, '0')}\u0000${id.slice(colon + 1)}`;
}

/** The client's `<algorithm>:<key id>` of a stored map key. */
export function clientKeyId(stored: string): string {
  const colon = stored.indexOf(':');
  if (stored[colon + 1] !== ORDERED) return stored;
  return `${stored.slice(0, colon)}:${stored.slice(stored.lastIndexOf('\u0000') + 1)}`;
}
