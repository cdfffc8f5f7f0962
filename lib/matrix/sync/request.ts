// The query parameters of GET /sync, checked: a malformed value is 400 M_INVALID_PARAM.
import { invalidParam } from '../errors.ts';
import { decodeSyncToken, type SyncPosition } from './token.ts';

export interface SyncQuery {
  since?: SyncPosition;
  timeoutMs: number;
  fullState: boolean;
  filter: string | null;
  setPresence?: 'online' | 'offline' | 'unavailable';
}

const PRESENCE = new Set(['online', 'offline', 'unavailable']);

export function parseSyncQuery(query: URLSearchParams): SyncQuery {
  const since = query.get('since');
  const timeout = query.get('timeout');
  let timeoutMs = 0;
  if (timeout !== null && timeout !== '') {
    if (!/^\d{1,15}$/.test(timeout)) throw invalidParam('timeout must be a non-negative integer (milliseconds)');
    timeoutMs = Number(timeout);
  }
  const fullStateParam = query.get('full_state');
  if (fullStateParam !== null && fullStateParam !== 'true' && fullStateParam !== 'false') throw invalidParam('full_state must be true or false');
  const presence = query.get('set_presence');
  if (presence !== null && !PRESENCE.has(presence)) throw invalidParam('set_presence must be online, offline or unavailable');
  return {
    ...(since !== null && since !== '' ? { since: decodeSyncToken(since) } : {}),
    timeoutMs,
    fullState: fullStateParam === 'true',
    filter: query.get('filter'),
    ...(presence !== null ? { setPresence: presence as SyncQuery['setPresence'] } : {}),
  };
}
