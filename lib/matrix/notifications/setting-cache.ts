// The rooms' push settings (joined members, display names, power levels) as this process last read
// them, for the rooms topology's notification counting, kept from one record to the next so a
// message does not re-read its room's members and power levels. A setting is used only for events
// that directly follow the position it holds for: a room's events are numbered without gaps, and
// only its lane appends them, so "the first event of this record is the one after the cached
// position" proves that no event — and so no state change — came in between, whichever Lambda
// container appended it. Events that may change the setting (state events, redactions: a redacted
// power levels event) make the next record read it again.
import type { RoomEvent } from '../events.ts';
import type { RoomPushSetting } from './room-facts.ts';

/** Rooms remembered; the least recently counted are forgotten first. */
const MAX_ROOMS = 500;

interface Cached {
  setting: RoomPushSetting;
  /** The position (event depth) of the last event the setting holds for. */
  position: number;
}

const settings = new Map<string, Cached>();

/** Whether these events may change the members or the power levels the push rules read. */
export function changesPushSetting(events: readonly RoomEvent[]): boolean {
  return events.some((e) => e.state_key !== undefined || e.type === 'm.room.redaction');
}

/** The setting to count these events with, when one is cached for the position right before them. */
export function cachedPushSetting(roomId: string, events: readonly RoomEvent[]): RoomPushSetting | undefined {
  const cached = settings.get(roomId);
  const first = events[0];
  if (!cached || !first || first.depth !== cached.position + 1) return undefined;
  return cached.setting;
}

/**
 * Remember the setting the room has after these events (read after their commit, or cached and
 * none of them changes it); forget it when they may have changed it.
 */
export function keepPushSetting(roomId: string, events: readonly RoomEvent[], setting: RoomPushSetting, readAfterEvents: boolean): void {
  settings.delete(roomId);
  const last = events.at(-1);
  if (!last || (!readAfterEvents && changesPushSetting(events))) return;
  settings.set(roomId, { setting, position: last.depth });
  if (settings.size > MAX_ROOMS) settings.delete(settings.keys().next().value!);
}
