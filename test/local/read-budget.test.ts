// A shard's read budget as Kinesis meters it: standard consumers share 5 GetRecords/s and 2 MB/s;
// an enhanced fan-out consumer's own pipe limits bytes only.
import { describe, expect, it } from 'vitest';
import { SHARD_READ_LIMITS, ShardReadBudget } from '../../lib/local/event-source-mapping/read-budget.ts';

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const read = (budget: ShardReadBudget, bytes = 0) => {
  budget.startRead();
  budget.endRead(bytes);
};

describe('shard read budget', () => {
  it('lets the standard consumers of a shard make 5 GetRecords per second between them', () => {
    const c = clock();
    const budget = new ShardReadBudget(true, c.now);
    for (let i = 0; i < SHARD_READ_LIMITS.getRecordsPerSecond; i++) {
      expect(budget.delay()).toBe(0);
      read(budget);
    }
    expect(budget.delay()).toBe(200);
    c.advance(200);
    expect(budget.delay()).toBe(0);
  });

  it('makes a read of more than 2 MB wait out the debt', () => {
    const c = clock();
    const budget = new ShardReadBudget(true, c.now);
    read(budget, 6 * 1024 * 1024);
    // 4 MB over: two seconds at 2 MB/s before any byte is left.
    expect(budget.delay()).toBe(2000);
    c.advance(1999);
    expect(budget.delay()).toBe(1);
    c.advance(1);
    expect(budget.delay()).toBe(0);
  });

  it("does not limit an enhanced fan-out consumer's calls, only its bytes", () => {
    const c = clock();
    const budget = new ShardReadBudget(false, c.now);
    for (let i = 0; i < 50; i++) read(budget, 1000);
    expect(budget.delay()).toBe(0);
    read(budget, 2 * 1024 * 1024);
    expect(budget.delay()).toBeGreaterThan(0);
  });
});
