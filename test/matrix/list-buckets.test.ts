import { describe, expect, it } from 'vitest';
import { LIST_BUCKETS, listBucket, listBuckets } from '../../lib/matrix/pstates.ts';

describe('server-wide list buckets', () => {
  it('puts every id in one of the listed buckets, always the same one', () => {
    expect(listBuckets()).toHaveLength(LIST_BUCKETS);
    expect(new Set(listBuckets()).size).toBe(LIST_BUCKETS);
    for (const id of ['@alice:localhost', '!room:localhost', '@élodie:例え.jp']) {
      expect(listBuckets()).toContain(listBucket(id));
      expect(listBucket(id)).toBe(listBucket(id));
    }
  });

  it('spreads sequential ids over all buckets (concurrent registrations rarely write the same item)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 3200; i++) counts.set(listBucket(`@user${i}:localhost`), (counts.get(listBucket(`@user${i}:localhost`)) ?? 0) + 1);
    expect(counts.size).toBe(LIST_BUCKETS);
    expect(Math.min(...counts.values())).toBeGreaterThan(50);
    expect(Math.max(...counts.values())).toBeLessThan(150);
  });
});
