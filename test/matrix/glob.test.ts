// Globs from users (push rule patterns, filter types and senders, server ACLs) are matched without
// backtracking: patterns that make a regular expression run for minutes answer at once.
import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../lib/matrix/filters.ts';
import { globMatchesAll, globMatchesWord, MAX_GLOB_WORK } from '../../lib/matrix/glob.ts';
import { evaluatePushRules, globMatches } from '../../lib/matrix/push-evaluator.ts';
import { defaultPushRules, putPushRule } from '../../lib/matrix/push-rules.ts';

describe('glob matching', () => {
  it('matches `*` and `?` over the whole value, case-insensitively when asked', () => {
    const push = { questionMark: true, caseInsensitive: true };
    expect(globMatchesAll('m.room.*', 'M.ROOM.message', push)).toBe(true);
    expect(globMatchesAll('m.room.*', 'M.ROOM.message')).toBe(false);
    expect(globMatchesAll('ca?e', 'cake', push)).toBe(true);
    expect(globMatchesAll('ca?e', 'cake')).toBe(false);
    expect(globMatchesAll('ca?e', 'ca?e')).toBe(true);
    expect(globMatchesAll('cake', 'cakes', push)).toBe(false);
    expect(globMatchesAll('*', '', push)).toBe(true);
    expect(globMatchesAll('a*b*c', 'aXbYbZc')).toBe(true);
    expect(globMatchesAll('a*b*c', 'aXbYbZ')).toBe(false);
    expect(globMatchesAll('*.example.org', 'matrix.example.org')).toBe(true);
    expect(globMatchesAll('?', '😀', push)).toBe(true); // one character, not one UTF-16 unit
    expect(globMatchesAll('a.c', 'abc')).toBe(false); // no regular expression syntax
  });

  it('finds a word-bounded match inside a body', () => {
    const push = { questionMark: true, caseInsensitive: true };
    expect(globMatchesWord('cake', 'I like Cake!', push)).toBe(true);
    expect(globMatchesWord('cake', 'cupcakes', push)).toBe(false);
    expect(globMatchesWord('cake*', 'cakes for all', push)).toBe(true);
    expect(globMatchesWord('c?ke', 'a coke.', push)).toBe(true);
    expect(globMatchesWord('cake', 'cake', push)).toBe(true);
    // A display name is literal: its `*` matches only a `*`.
    expect(globMatchesWord('A*B', 'hi a*b', { ...push, literal: true })).toBe(true);
    expect(globMatchesWord('A*B', 'hi axxb', { ...push, literal: true })).toBe(false);
  });

  it('answers at once where a backtracking regular expression runs for minutes', { timeout: 10_000 }, () => {
    const hostile = `${'*a'.repeat(12)}*b`;
    const body = 'a'.repeat(65_536);
    expect(globMatches(hostile, body)).toBe(false);
    expect(matchesPattern(hostile, 'a'.repeat(255))).toBe(false);
    // A content rule with that pattern, evaluated on a 64 KiB message, as the notification counts do.
    const rules = putPushRule(defaultPushRules('@me:localhost'), 'content', 'hostile', { pattern: hostile, actions: ['notify'] });
    const event = { type: 'm.room.message', sender: '@bob:localhost', content: { msgtype: 'm.text', body } };
    const context = { userId: '@me:localhost', displayName: 'me', memberCount: 3, senderPowerLevel: 0, notificationLevels: {} };
    expect(evaluatePushRules(rules, event, context)).toEqual(evaluatePushRules(defaultPushRules('@me:localhost'), event, context));
  });

  it('gives up on a match bigger than its work budget (a pattern that long never matches)', () => {
    const anything = '*'.repeat(10_000);
    expect(globMatchesAll(anything, 'x'.repeat(100))).toBe(true);
    expect(globMatchesAll(anything, 'x'.repeat(Math.ceil(MAX_GLOB_WORK / 10_000)))).toBe(false);
  });
});
