// Pagination windows over one room's timeline (positions 1..lastPosition), pure: which positions a
// /messages request may scan, and the token that continues after the last scanned position.
import { positionToken } from '../tokens.ts';

export type Direction = 'b' | 'f';

export interface PageRequest {
  dir: Direction;
  /** Position of the `from` token (undefined: the end of the timeline for b, its start for f). */
  from?: number;
  /** Position of the `to` token (undefined: no bound). */
  to?: number;
}

/** Positions the request may scan, both inclusive, walked from `first` towards `last`. */
export interface Window {
  dir: Direction;
  first: number;
  last: number;
}

/**
 * The positions a request covers: backwards from `p<n>` is n, n-1, … down to just above `to`;
 * forwards from `p<n>` is n+1, … up to `to`. `readableUpTo` clamps both directions (a user who left
 * reads up to their leave). Undefined when nothing is left in that direction.
 */
export function paginationWindow(request: PageRequest, readableUpTo: number): Window | undefined {
  if (request.dir === 'b') {
    const first = Math.min(request.from ?? readableUpTo, readableUpTo);
    const last = (request.to ?? 0) + 1;
    return first >= last ? { dir: 'b', first, last } : undefined;
  }
  const first = (request.from ?? 0) + 1;
  const last = Math.min(request.to ?? readableUpTo, readableUpTo);
  return first <= last ? { dir: 'f', first, last } : undefined;
}

/** Positions still to scan after `scanned` (the last position looked at), or undefined when done. */
export function remainingWindow(window: Window, scanned: number): Window | undefined {
  if (window.dir === 'b') return scanned - 1 >= window.last ? { ...window, first: scanned - 1 } : undefined;
  return scanned + 1 <= window.last ? { ...window, first: scanned + 1 } : undefined;
}

/** The point a request starts from, as a token (the `start` of a /messages response). */
export function startToken(request: PageRequest, lastPosition: number): string {
  if (request.dir === 'b') return positionToken(Math.min(request.from ?? lastPosition, lastPosition));
  return positionToken(request.from ?? 0);
}

/** The next `size` positions of a window in scan order, as vector index bounds for a range read. */
export function nextSlice(window: Window, size: number): { fromIndex: number; toIndex: number; reverse: boolean } {
  if (window.dir === 'b') {
    const low = Math.max(window.last, window.first - size + 1);
    return { fromIndex: low - 1, toIndex: window.first, reverse: true };
  }
  const high = Math.min(window.last, window.first + size - 1);
  return { fromIndex: window.first - 1, toIndex: high, reverse: false };
}
