import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nextSlice, paginationWindow, remainingWindow, startToken, type Direction } from '../../lib/matrix/timeline/window.ts';

/** Walks a whole window slice by slice the way the paginator does, listing positions in scan order. */
function walk(dir: Direction, from: number | undefined, to: number | undefined, readableUpTo: number, size: number): number[] {
  const seen: number[] = [];
  let window = paginationWindow({ dir, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) }, readableUpTo);
  while (window) {
    const slice = nextSlice(window, size);
    const indexes: number[] = [];
    for (let i = slice.fromIndex; i < slice.toIndex; i++) indexes.push(i);
    if (slice.reverse) indexes.reverse();
    seen.push(...indexes.map((i) => i + 1));
    window = remainingWindow(window, seen[seen.length - 1]!);
  }
  return seen;
}

describe('pagination windows', () => {
  it('backwards from p<n> covers n, n-1, … down to just above `to`', () => {
    expect(walk('b', 7, 2, 10, 2)).toEqual([7, 6, 5, 4, 3]);
    expect(walk('b', undefined, undefined, 4, 3)).toEqual([4, 3, 2, 1]);
  });

  it('forwards from p<n> covers n+1 … up to `to` inclusive', () => {
    expect(walk('f', 2, 6, 10, 4)).toEqual([3, 4, 5, 6]);
    expect(walk('f', undefined, undefined, 3, 10)).toEqual([1, 2, 3]);
  });

  it('clamps both directions at what the user may read (a user who left)', () => {
    expect(walk('b', 9, undefined, 5, 10)).toEqual([5, 4, 3, 2, 1]);
    expect(walk('f', 3, 9, 5, 10)).toEqual([4, 5]);
    expect(paginationWindow({ dir: 'f', from: 5 }, 5)).toBeUndefined();
    expect(paginationWindow({ dir: 'b', from: 0 }, 5)).toBeUndefined();
  });

  it('splitting a window at any token covers every position exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 7 }), (last, cut, size) => {
        const point = Math.min(cut, last);
        // Backwards from the end to `point`, then forwards from `point`... both halves of the timeline.
        const newer = walk('b', undefined, point, last, size);
        const older = walk('f', undefined, point, last, size);
        expect([...older, ...[...newer].reverse()]).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      }),
    );
  });

  it('echoes the starting point as a token', () => {
    expect(startToken({ dir: 'b' }, 12)).toBe('p12');
    expect(startToken({ dir: 'b', from: 40 }, 12)).toBe('p12');
    expect(startToken({ dir: 'f' }, 12)).toBe('p0');
  });
});
