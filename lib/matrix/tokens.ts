// Pagination tokens of one room's timeline (/messages `from`/`to`, /context `start`/`end`,
// /sync `prev_batch`, /members `at`). A token names a point BETWEEN two events: `p<n>` is the
// point just after the room's n-th event (position n; `p0` is before the first event). Paginating
// backwards from `p<n>` yields positions n, n-1, …; forwards yields n+1, n+2, …; so walking the
// `end` tokens hands out every event exactly once. Sync's prev_batch for a timeline whose first
// event is at position f is `p<f-1>` (positionToken(f - 1)).
import { invalidParam } from './errors.ts';

const TOKEN = /^p(0|[1-9][0-9]{0,15})$/;

/** The token of the point after the event at `position` (0: before the first event). */
export function positionToken(position: number): string {
  if (!Number.isSafeInteger(position) || position < 0) throw new Error(`not a timeline position: ${position}`);
  return `p${position}`;
}

/** The position a token names; a malformed token is 400 M_INVALID_PARAM naming the parameter. */
export function decodePositionToken(token: string, param = 'token'): number {
  const match = TOKEN.exec(token);
  const position = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(position)) throw invalidParam(`${param} is not a valid pagination token`);
  return position;
}

/** Like decodePositionToken, but undefined for anything that is not a pagination token. */
export function tryDecodePositionToken(token: string): number | undefined {
  const match = TOKEN.exec(token);
  const position = match ? Number(match[1]) : NaN;
  return Number.isSafeInteger(position) ? position : undefined;
}
