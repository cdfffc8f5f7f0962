// Which of a recipient's devices a to-device send nudges: the named ones, or all for `*`.
import { describe, expect, it } from 'vitest';
import { toDeviceRecipients } from '../../lib/matrix/push/sync-needed.ts';
import { syncNeededFrame } from '../../lib/matrix/push/frames.ts';

describe('sync_needed', () => {
  it('nudges the named devices of a to-device send, or all of them for *', () => {
    expect(toDeviceRecipients({ DEV1: {}, DEV2: {} })).toEqual(new Set(['DEV1', 'DEV2']));
    expect(toDeviceRecipients({ DEV1: {}, '*': {} })).toBe('all');
  });

  it('the frame carries its type and reason only (no position: it moves no cursor)', () => {
    expect(syncNeededFrame('device_lists')).toEqual({ type: 'sync_needed', reason: 'device_lists' });
  });
});
