// The per-connection cursor of the WebSocket channel (lib/matrix/push/cursor.ts): a push moves only
// its shard, never past events a connection may not have been pushed, and never backwards.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sequencePosition } from '../../lib/core/topology/records.ts';
import { mergeCursor, PENDING_FLOOR, stepCursor, withLanePosition } from '../../lib/matrix/push/cursor.ts';
import { decodeSyncToken, encodeSyncToken } from '../../lib/matrix/sync/token.ts';

const seq = (n: number) => sequencePosition(String(n));
const token = (rooms: Record<string, number>, accountData: Record<string, number> = {}) =>
  encodeSyncToken({
    rooms: Object.fromEntries(Object.entries(rooms).map(([k, v]) => [k, seq(v)])),
    accountData: Object.fromEntries(Object.entries(accountData).map(([k, v]) => [k, seq(v)])),
  });

describe('stepCursor', () => {
  it('moves only the pushed shard, keeping the others and the account data position', () => {
    const step = stepCursor(token({ a: 5, b: 7 }, { u: 3 }), token({ a: 5, b: 7 }), 'a', seq(9));
    expect(step.kind).toBe('push');
    expect(step.kind === 'push' && decodeSyncToken(step.next)).toEqual(decodeSyncToken(token({ a: 9, b: 7 }, { u: 3 })));
  });

  it('skips an event the cursor already covers, and everything while the connection is pending', () => {
    expect(stepCursor(token({ a: 9 }), token({ a: 1 }), 'a', seq(9))).toEqual({ kind: 'covered' });
    expect(stepCursor(token({ a: 9 }), token({ a: 1 }), 'a', seq(3))).toEqual({ kind: 'covered' });
    expect(stepCursor(token({ a: 1 }), PENDING_FLOOR, 'a', seq(3))).toEqual({ kind: 'covered' });
  });

  it('holds a shard whose cursor is below the floor (events in between may never have been pushed)', () => {
    const cursor = token({ a: 2, b: 1 });
    expect(stepCursor(cursor, token({ a: 5 }), 'a', seq(8))).toEqual({ kind: 'push', next: cursor });
    // a shard absent from the floor is not held
    const other = stepCursor(cursor, token({ a: 5 }), 'b', seq(4));
    expect(other.kind === 'push' && decodeSyncToken(other.next).rooms.b).toBe(seq(4));
  });

  it('never moves a shard backwards and never past the pushed event', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), fc.nat(1000), (at, floor, pushed) => {
        const step = stepCursor(token({ s: at }), token({ s: floor }), 's', seq(pushed));
        if (pushed <= at) return step.kind === 'covered';
        if (step.kind !== 'push') return false;
        const next = decodeSyncToken(step.next).rooms.s;
        return at < floor ? next === seq(at) : next === seq(pushed);
      }),
    );
  });
});

describe('mergeCursor and withLanePosition', () => {
  it('merge takes the later position of every shard of both streams', () => {
    const merged = decodeSyncToken(mergeCursor(token({ a: 5, b: 9 }, { u: 1 }), token({ a: 7, c: 2 }, { u: 4 })));
    expect(merged).toEqual(decodeSyncToken(token({ a: 7, b: 9, c: 2 }, { u: 4 })));
  });

  it('sets one shard back, or drops it when it had no position', () => {
    expect(decodeSyncToken(withLanePosition(token({ a: 9, b: 3 }), 'a', seq(4)))).toEqual(decodeSyncToken(token({ a: 4, b: 3 })));
    expect(decodeSyncToken(withLanePosition(token({ a: 9, b: 3 }), 'a', undefined))).toEqual(decodeSyncToken(token({ b: 3 })));
  });
});
