import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sequencePosition } from '../../lib/core/topology/records.ts';
import { MatrixError } from '../../lib/matrix/errors.ts';
import { decodeSyncToken, encodeSyncToken, inLanes, inWindow, NOTHING } from '../../lib/matrix/sync/token.ts';
import { nothingSince } from '../../lib/matrix/sync/long-poll.ts';

const seq = fc.bigInt({ min: 0n, max: 10n ** 60n }).map((n) => sequencePosition(n.toString()));
const shards = (value: fc.Arbitrary<string>) => fc.dictionary(fc.stringMatching(/^shardId-[0-9]{12}$/), value, { maxKeys: 4 });

function expectInvalid(token: string) {
  let error: unknown;
  try {
    decodeSyncToken(token);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MatrixError);
  expect({ status: (error as MatrixError).status, errcode: (error as MatrixError).errcode }).toEqual({ status: 400, errcode: 'M_INVALID_PARAM' });
}

describe('sync tokens', () => {
  it('decode what they encode, positions in sortable form', () => {
    fc.assert(
      fc.property(shards(seq), shards(seq), (rooms, accountData) => {
        const token = encodeSyncToken({ rooms, accountData });
        expect(token).toMatch(/^s1_[A-Za-z0-9_-]+$/);
        expect(decodeSyncToken(token)).toEqual({ rooms, accountData });
      }),
    );
  });

  it('from before depot partitions (per shard) read as that position in each lane of the shard they do not name', () => {
    const lanes = { '0.p1': '9', '0.p12': '9', '1.p3': '9', '10.p2': '9', 'shardId-000000000000': '9' };
    expect(inLanes({ 'shardId-000000000000': '5', 'shardId-000000000001': '7', '0.p12': '6' }, lanes)).toEqual({
      'shardId-000000000000': '5',
      'shardId-000000000001': '7',
      '0.p1': '5',
      '0.p12': '6',
      '1.p3': '7',
    });
    const current = { '0.p1': '5', '1.p3': '7' };
    expect(inLanes(current, lanes)).toBe(current);
  });

  it('carry the wake mark of a long-poll pass; a malformed one is M_INVALID_PARAM', () => {
    const wake = { wakes: 41, pollingUntil: 1_800_000_000_000 };
    expect(decodeSyncToken(encodeSyncToken({ rooms: {}, accountData: {}, wake }))).toEqual({ rooms: {}, accountData: {}, wake });
    const b64 = (v: unknown) => `s1_${Buffer.from(JSON.stringify(v)).toString('base64url')}`;
    for (const w of [[1], [1, 2, 3], [-1, 5], [1.5, 2], ['1', 2], { wakes: 1 }]) expectInvalid(b64({ r: {}, a: {}, w }));
  });

  it('let a long-poll skip its first pass only when the wake count is unchanged and the registration held', () => {
    const now = 1_000_000;
    const mark = { wakes: 7, pollingUntil: now + 120_000 };
    const wake = (wakes: number) => ({ wakes, onlineUntil: 0, pollingUntil: 0, connectedUntil: 0 });
    expect(nothingSince(mark, wake(7), now)).toBe(true);
    expect(nothingSince(undefined, wake(7), now)).toBe(false);
    expect(nothingSince(mark, wake(8), now)).toBe(false);
    // The registration named in the token may have lapsed since (or is about to, by another clock).
    expect(nothingSince(mark, wake(7), now + 115_000)).toBe(false);
    expect(nothingSince(mark, wake(7), now + 200_000)).toBe(false);
  });

  it('keep positions short: leading zeros are not carried', () => {
    const token = encodeSyncToken({ rooms: { 'shardId-000000000000': sequencePosition('495') }, accountData: {} });
    expect(JSON.parse(Buffer.from(token.slice(3), 'base64url').toString())).toEqual({ r: { 'shardId-000000000000': '495' }, a: {} });
  });

  it('write the digits all positions of a map start with once, so a lane per partition stays short', () => {
    const base = 49659999999999999999999999999999n;
    const lanes = Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`${i % 2}.p${i}`, sequencePosition(String(base * 10n ** 24n + BigInt(i * 7919)))]));
    const token = encodeSyncToken({ rooms: lanes, accountData: {} });
    const body = JSON.parse(Buffer.from(token.slice(3), 'base64url').toString()) as { r: Record<string, string> };
    expect(body.r['']).toMatch(/^4965\d+$/);
    expect(decodeSyncToken(token).rooms).toEqual(lanes);
    expect(token.length).toBeLessThan(900);
    // A prefix with no position after it is not a token this server makes.
    expectInvalid(`s1_${Buffer.from(JSON.stringify({ r: { '': '4965' } })).toString('base64url')}`);
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[0-9]\.p[0-9]{1,2}$/), seq, { minKeys: 2, maxKeys: 24 }), (positions) => {
        expect(decodeSyncToken(encodeSyncToken({ rooms: positions, accountData: positions })).rooms).toEqual(positions);
      }),
    );
  });

  it('refuse anything else with M_INVALID_PARAM', () => {
    const b64 = (v: unknown) => `s1_${Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')}`;
    for (const token of [
      'garbage',
      's1_',
      's1_!!!',
      's2_e30',
      b64('not json'),
      b64([1]),
      b64(null),
      b64({ r: [] }),
      b64({ r: { s: 12 } }),
      b64({ r: { s: '-1' } }),
      b64({ r: { s: '1e5' } }),
      b64({ a: { s: 'x' } }),
      b64({ r: { '': '1' } }),
      `s1_${'A'.repeat(9000)}`,
    ]) {
      expectInvalid(token);
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          decodeSyncToken(s);
        } catch (e) {
          expect(e).toBeInstanceOf(MatrixError);
        }
      }),
    );
  });

  it('windows are half-open: (since, watermark]', () => {
    const p = (n: number) => sequencePosition(String(n));
    expect(inWindow(p(5), p(4), p(5))).toBe(true);
    expect(inWindow(p(4), p(4), p(5))).toBe(false);
    expect(inWindow(p(6), p(4), p(5))).toBe(false);
    expect(inWindow(p(1), NOTHING, p(5))).toBe(true);
    expect(inWindow(p(10), p(9), p(100))).toBe(true);
  });
});
