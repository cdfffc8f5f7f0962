import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../lib/matrix/errors.ts';
import { parseMessagesQuery } from '../../lib/matrix/timeline/messages.ts';
import { membershipMatches, parseMembersQuery } from '../../lib/matrix/timeline/room-state.ts';

const q = (s: string) => new URLSearchParams(s);
function errcodeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof MatrixError ? `${e.status} ${e.errcode}` : 'not a MatrixError';
  }
  return undefined;
}

describe('/messages query', () => {
  it('parses direction, tokens, limit (default 10, capped at 1000) and the filter', () => {
    expect(parseMessagesQuery(q('dir=b'))).toEqual({ dir: 'b', limit: 10, filter: {} });
    expect(parseMessagesQuery(q('dir=f&from=p3&to=p9&limit=5000&filter={"types":["m.room.message"]}'))).toEqual({
      dir: 'f', from: 'p3', to: 'p9', limit: 1000, filter: { types: ['m.room.message'] },
    });
  });

  it.each([
    ['', '400 M_MISSING_PARAM'],
    ['dir=up', '400 M_INVALID_PARAM'],
    ['dir=b&from=s1_2', '400 M_INVALID_PARAM'],
    ['dir=b&to=', '400 M_INVALID_PARAM'],
    ['dir=b&limit=0', '400 M_INVALID_PARAM'],
    ['dir=b&limit=2.5', '400 M_INVALID_PARAM'],
    ['dir=b&filter={', '400 M_BAD_JSON'],
  ])('refuses %j with %s', (query, expected) => {
    expect(errcodeOf(() => parseMessagesQuery(q(query)))).toBe(expected);
  });
});

describe('/members query', () => {
  it('keeps room and /sync tokens for `at` (resolved in the room) and treats other tokens as now', () => {
    expect(parseMembersQuery(q('at=p12&membership=join'))).toEqual({ at: 'p12', membership: 'join' });
    expect(parseMembersQuery(q('at=s1_2_3&not_membership=leave'))).toEqual({ notMembership: 'leave' });
    expect(errcodeOf(() => parseMembersQuery(q('membership=joined')))).toBe('400 M_INVALID_PARAM');
  });

  it('lists a member when membership matches OR not_membership does (both given)', () => {
    const both = { membership: 'leave', notMembership: 'join' };
    expect(['join', 'invite', 'leave', 'ban'].filter((m) => membershipMatches(m, both))).toEqual(['invite', 'leave', 'ban']);
    expect(['join', 'invite', 'leave'].filter((m) => membershipMatches(m, { membership: 'join' }))).toEqual(['join']);
    expect(['join', 'invite', 'leave'].filter((m) => membershipMatches(m, { notMembership: 'leave' }))).toEqual(['join', 'invite']);
    expect(['join', 'leave'].filter((m) => membershipMatches(m, {}))).toEqual(['join', 'leave']);
  });
});
