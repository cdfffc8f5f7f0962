import { describe, expect, it } from 'vitest';
import { ackPollDelays, nextLatencyEstimate } from '../../lib/core/ack.ts';

const first = (delays: Generator<number>, n: number) => Array.from({ length: n }, () => delays.next().value!);

describe('ack poll schedule', () => {
  it('starts at the initial delay and grows ×1.5 up to the maximum before any latency is known', () => {
    expect(first(ackPollDelays(undefined, 20, 250), 9)).toEqual([20, 30, 45, 67.5, 101.25, 151.875, 227.8125, 250, 250]);
  });

  it('polls first at the expected latency, then from a quarter of it', () => {
    expect(first(ackPollDelays(400, 20, 250), 4)).toEqual([400, 100, 150, 225]);
  });

  it('keeps the first poll between the initial delay and 2 s', () => {
    expect(first(ackPollDelays(5, 20, 250), 2)).toEqual([20, 20]);
    expect(first(ackPollDelays(60_000, 20, 250), 2)).toEqual([2_000, 250]);
  });
});

describe('ack latency estimate', () => {
  it('takes the first sample as it is: the middle between the last miss and the find', () => {
    expect(nextLatencyEstimate(undefined, 120, 80)).toBe(100);
  });

  it('moves down when the first poll already finds the outcome (it appeared earlier)', () => {
    let estimate = 200;
    for (let i = 0; i < 10; i++) estimate = nextLatencyEstimate(estimate, estimate);
    expect(estimate).toBeLessThan(100);
  });

  it('forgets a slow spell within a few sends: a first poll long after the outcome appears is not repeated', () => {
    // Sends took 1.5 s (a cold start); now outcomes appear after 100 ms and the first poll finds them.
    let estimate = 1_500;
    for (let i = 0; i < 8; i++) estimate = nextLatencyEstimate(estimate, Math.max(estimate, 100));
    expect(estimate).toBeLessThan(200);
  });

  it('settles near a steady latency once polls straddle it', () => {
    // The outcome appears after 300 ms; a poll at the estimate finds it or misses and the next poll
    // (a quarter later) finds it.
    let estimate: number | undefined = 20;
    for (let i = 0; i < 50; i++) {
      const delays = ackPollDelays(estimate, 20, 250);
      let at = 0;
      let missed: number | undefined;
      for (;;) {
        at += delays.next().value!;
        if (at >= 300) break;
        missed = at;
      }
      estimate = nextLatencyEstimate(estimate, at, missed);
    }
    expect(estimate).toBeGreaterThan(200);
    expect(estimate).toBeLessThan(400);
  });
});
