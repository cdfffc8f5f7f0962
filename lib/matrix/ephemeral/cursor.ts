// Where a sync's ephemeral part (typing, receipts, presence) left off, and its form in a sync
// token. Apart from the reads (sync.ts), so the token codec needs nothing of them.
export interface EphemeralCursor {
  /** Shard id → sequencePosition of the newest batch delivered. */
  positions: Readonly<Record<string, string>>;
  /** Epoch ms of the sync that produced the cursor. */
  at: number;
}

/** The cursor as the JSON a sync token embeds. */
export function ephemeralCursorToJson(cursor: EphemeralCursor): { t: number; p: Record<string, string> } {
  const p: Record<string, string> = {};
  for (const [shard, position] of Object.entries(cursor.positions)) p[shard] = position.replace(/^0+(?=\d)/, '');
  return { t: cursor.at, p };
}

/** The cursor from a token's JSON; undefined when it is not one. */
export function ephemeralCursorFromJson(value: unknown): EphemeralCursor | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { t, p } = value as { t?: unknown; p?: unknown };
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) return undefined;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return undefined;
  const entries = Object.entries(p as Record<string, unknown>);
  if (entries.length > 256) return undefined;
  const positions: Record<string, string> = {};
  for (const [shard, seq] of entries) {
    if (typeof seq !== 'string' || !/^\d{1,129}$/.test(seq) || shard.length === 0 || shard.length > 128) return undefined;
    positions[shard] = seq.padStart(129, '0');
  }
  return { positions, at: t };
}
