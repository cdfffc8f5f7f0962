// Wake notices as the sync service reads them: the users named, with their counts after the bump
// where the notice carries them — and notices of older writers (no counts) still name the users.
import { describe, expect, it } from 'vitest';
import { wokenBy } from '../../lib/matrix/sync/notices.ts';

describe('wake notices', () => {
  it('name each user with the count the notice says', () => {
    expect(wokenBy({ wake: ['@a:x', '@b:x'], counts: [3, 7] })).toEqual([
      { userId: '@a:x', wakes: 3 },
      { userId: '@b:x', wakes: 7 },
    ]);
  });

  it('name users without counts when the notice has none, or counts that do not line up', () => {
    expect(wokenBy({ wake: ['@a:x'] })).toEqual([{ userId: '@a:x' }]);
    expect(wokenBy({ wake: ['@a:x', '@b:x'], counts: [3] })).toEqual([{ userId: '@a:x' }, { userId: '@b:x' }]);
    expect(wokenBy({ wake: ['@a:x'], counts: ['3'] })).toEqual([{ userId: '@a:x' }]);
  });

  it('name nobody for anything else', () => {
    expect(wokenBy(null)).toEqual([]);
    expect(wokenBy({ other: 1 })).toEqual([]);
    expect(wokenBy({ wake: [1, '@a:x'], counts: [1, 2] })).toEqual([{ userId: '@a:x', wakes: 2 }]);
  });
});
