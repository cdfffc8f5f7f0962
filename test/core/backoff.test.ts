import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../lib/core/backoff.ts';

describe('backoffDelay', () => {
  it('doubles from the base up to the cap', () => {
    const exact = (attempt: number) => backoffDelay(attempt, { baseMs: 10, maxMs: 500, jitter: 'none' });
    expect([0, 1, 2, 3, 5, 6, 40].map(exact)).toEqual([10, 20, 40, 80, 320, 500, 500]);
    expect(exact(-3)).toBe(10);
  });

  it('draws full jitter from [0, delay) and half jitter from [delay/2, delay)', () => {
    expect(backoffDelay(3, { baseMs: 10, maxMs: 500 }, () => 0)).toBe(0);
    expect(backoffDelay(3, { baseMs: 10, maxMs: 500 }, () => 0.5)).toBe(40);
    expect(backoffDelay(3, { baseMs: 10, maxMs: 500, jitter: 'half' }, () => 0)).toBe(40);
    expect(backoffDelay(3, { baseMs: 10, maxMs: 500, jitter: 'half' }, () => 0.999)).toBeCloseTo(79.96, 1);
  });
});
