import { describe, expect, it } from 'vitest';
import { inPool } from '../../lib/core/concurrency.ts';

describe('inPool', () => {
  it('runs every item once, never more than the limit at a time, and returns results in order', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    const results = await inPool([5, 1, 4, 2, 3, 0, 6], 3, async (n, i) => {
      running++;
      most = Math.max(most, running);
      seen.push(i);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(most).toBe(3);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('does nothing for no items and rejects with the first failure', async () => {
    expect(await inPool([], 4, async () => 1)).toEqual([]);
    await expect(inPool([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('two'); return n; })).rejects.toThrow('two');
  });
});
