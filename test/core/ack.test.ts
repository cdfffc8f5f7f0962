import { beforeAll, describe, expect, it } from 'vitest';
import { AckTimeoutError, appendManyWithAck, appendWithAck, expectedAckLatencyMs, newRequestId, noteOutcomeRecorded, readAckOutcome, recordAckOutcome } from '../../lib/core/ack.ts';
import { counterTopology, setUpDepot, shardPoller } from './topology-fixtures.ts';

let streamArn: string;

/** Run the topology (a hand-run event source mapping) until `waiting` settles. */
async function withTopologyRunning<T>(waiting: Promise<T>): Promise<T> {
  const poller = shardPoller('commands', streamArn, counterTopology());
  let settled = false;
  const result = waiting.finally(() => {
    settled = true;
  });
  while (!settled) {
    const delivered = await poller.poll();
    if (delivered === 0) await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 20))]);
  }
  return result;
}

describe('append with ack', () => {
  beforeAll(async () => {
    ({ streamArn } = await setUpDepot('ack', 'commands', 2));
  });

  it('returns the outcome of a topology that succeeds', async () => {
    const outcome = await withTopologyRunning(
      appendWithAck<number>('commands', { partitionKey: 'x', data: { amount: 5 } }, { timeoutMs: 20_000 }),
    );
    expect(outcome).toEqual({ ok: true, value: 5 });
    const next = await withTopologyRunning(
      appendWithAck<number>('commands', { partitionKey: 'x', data: { amount: 2 } }, { timeoutMs: 20_000 }),
    );
    expect(next).toEqual({ ok: true, value: 7 });
  });

  it('returns the error of a topology that rejects', async () => {
    const outcome = await withTopologyRunning(
      appendWithAck('commands', { partitionKey: 'y', data: { amount: -3 } }, { timeoutMs: 20_000 }),
    );
    expect(outcome).toEqual({
      ok: false,
      error: { code: 'NEGATIVE_AMOUNT', message: 'amounts must not be negative', status: 400, data: { amount: -3 } },
    });
  });

  it('times out with AckTimeoutError when no topology runs', async () => {
    const requestId = newRequestId();
    const waiting = appendWithAck('commands', { partitionKey: 'z', data: { amount: 1 } }, { timeoutMs: 300, requestId });
    await expect(waiting).rejects.toBeInstanceOf(AckTimeoutError);
    await expect(waiting).rejects.toMatchObject({ requestId, depot: 'commands', timeoutMs: 300 });
    expect(await readAckOutcome(requestId)).toBeUndefined();
  });

  it('answers each of many records, an unanswered one as an explicit undefined that map and forEach see', async () => {
    const records = [{ partitionKey: 'm1', data: { amount: 1 } }, { partitionKey: 'm2', data: { amount: 2 } }];
    const outcomes = await appendManyWithAck('commands', records, { timeoutMs: 300 });
    // A sparse array would read [] here: callers mapping outcomes would skip the unanswered.
    expect(outcomes.map((o) => o === undefined)).toEqual([true, true]);
  });

  it('keeps the first recorded outcome of a request', async () => {
    const requestId = newRequestId();
    await recordAckOutcome(requestId, { ok: true, value: 'first' }, 't');
    await recordAckOutcome(requestId, { ok: false, error: { code: 'LATER', message: 'later' } }, 't');
    expect(await readAckOutcome(requestId)).toEqual({ ok: true, value: 'first' });
  });

  it('learns how long outcomes take, so later waits poll first when one is expected', async () => {
    await withTopologyRunning(appendWithAck('commands', { partitionKey: 'w', data: { amount: 1 } }, { timeoutMs: 20_000 }));
    expect(expectedAckLatencyMs('commands')).toBeGreaterThan(0);
  });

  it('does not put an outcome again that this process saw committed', async () => {
    const noted = newRequestId();
    noteOutcomeRecorded(noted);
    await recordAckOutcome(noted, { ok: true, value: 'skipped' }, 't');
    // The note stands for an item written elsewhere (applyOnce's transaction): no put was made.
    expect(await readAckOutcome(noted)).toBeUndefined();
    // A note is used once: a later put of the same id is made (and is first-wins as always).
    await recordAckOutcome(noted, { ok: true, value: 'put' }, 't');
    expect(await readAckOutcome(noted)).toEqual({ ok: true, value: 'put' });
  });

  it('request ids are url-safe and distinct', () => {
    const ids = Array.from({ length: 1000 }, newRequestId);
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
