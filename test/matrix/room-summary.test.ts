import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { powerLevelsChangeProblem } from '../../lib/matrix/power-levels.ts';
import { roomSummary } from '../../lib/matrix/room-summary.ts';

const me = '@me:localhost';

describe('room summary', () => {
  const members = [
    { userId: me, membership: 'join', position: 1 },
    { userId: '@f:localhost', membership: 'join', position: 9 },
    { userId: '@b:localhost', membership: 'invite', position: 3 },
    { userId: '@c:localhost', membership: 'leave', position: 2 },
    ...['@d', '@e', '@g', '@h'].map((u, i) => ({ userId: `${u}:localhost`, membership: 'join', position: 4 + i })),
  ];
  it('counts members and picks five heroes in stream order, never the user', () => {
    expect(roomSummary(members, me, false)).toEqual({
      'm.joined_member_count': 6, 'm.invited_member_count': 1,
      'm.heroes': ['@b:localhost', '@d:localhost', '@e:localhost', '@g:localhost', '@h:localhost'],
    });
  });
  it('omits heroes for named rooms and falls back to former members', () => {
    expect(roomSummary(members, me, true)['m.heroes']).toBeUndefined();
    expect(roomSummary([{ userId: me, membership: 'join', position: 1 }, { userId: '@c:localhost', membership: 'leave', position: 2 }], me, false)['m.heroes']).toEqual(['@c:localhost']);
  });
});

describe('power level changes (property)', () => {
  const user = fc.constantFrom('@a:l', '@b:l', '@c:l', '@d:l');
  const levels = fc.dictionary(user, fc.integer({ min: -10, max: 110 }));
  it('an accepted change never leaves any user above the sender, nor touches peers at or above them', () => {
    fc.assert(
      fc.property(user, levels, levels, (sender, before, after) => {
        const senderLevel = before[sender] ?? 0;
        const problem = powerLevelsChangeProblem(sender, senderLevel, { users: before }, { users: after }, { limitNotificationsPowerLevels: true });
        if (problem !== undefined) return;
        for (const [u, level] of Object.entries(after)) {
          if (before[u] !== level) expect(level).toBeLessThanOrEqual(senderLevel);
        }
        for (const [u, level] of Object.entries(before)) {
          if (u !== sender && after[u] !== level) expect(level).toBeLessThan(senderLevel);
        }
      }),
      { numRuns: 500 },
    );
  });
});
