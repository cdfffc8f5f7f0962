// The rooms topology's notification counting: after a record's events are committed (and before
// the sync watermark moves past them, so a sync that delivers an event also sees it counted),
// each joined member's push rules are evaluated on each event and the notifying ones added to
// the member's counts in the room. One guarded UpdateItem per notified member per record: exactly
// once under redelivery (see counts.ts), and never more than one item per write, so a room of any
// size fits (the writes run 32 at a time).
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import type { RoomEvent } from '../events.ts';
import { eventNotification } from '../notification-counts.ts';
import { eventsOfRecord } from '../push/timeline.ts';
import type { RoomCommand } from '../rooms/commands.ts';
import { batchCache } from './batch-cache.ts';
import { addCounted, type CountedEvents } from './counts.ts';
import { loadPushRulesets, loadRoomPushSetting } from './room-facts.ts';

const PARALLEL_WRITES = 32;

/** State events may change the members or power levels: the room's cached setting is read again. */
const changesSetting = (events: readonly RoomEvent[]) => events.some((e) => e.state_key !== undefined);

/** Every notified member's counted events of these events (sender excluded by the rules). */
export function countedByMember(
  events: readonly RoomEvent[],
  members: readonly string[],
  notification: (event: RoomEvent, userId: string) => { highlight: boolean } | undefined,
): CountedEvents[] {
  const out: CountedEvents[] = [];
  for (const userId of members) {
    const counted: CountedEvents = { userId, positions: [], highlights: 0 };
    for (const event of events) {
      const n = notification(event, userId);
      if (!n) continue;
      counted.positions.push(event.depth);
      if (n.highlight) counted.highlights++;
    }
    if (counted.positions.length) out.push(counted);
  }
  return out;
}

/**
 * Count the notifications of the record's events. `batch` (the invocation's context) scopes the
 * cache of rulesets and room settings to one batch. Returns how many member counts changed.
 */
export async function countRecordNotifications(
  record: Pick<DepotRecord<RoomCommand>, 'payload' | 'sequenceNumber'>,
  batch?: object,
): Promise<number> {
  const roomId = record.payload?.roomId;
  if (!roomId) return 0;
  // The record's events (none for a refused record or a directory change) and, meanwhile, the
  // room's setting: read together, as this runs between the record's commit and the watermark.
  const cache = batchCache(batch);
  const cached = cache.rooms.get(roomId);
  const [events, loaded] = await Promise.all([
    eventsOfRecord(roomId, sequencePosition(record.sequenceNumber)),
    cached ? Promise.resolve(undefined) : loadRoomPushSetting(roomId),
  ]);
  if (events.length === 0) return 0;
  let setting = loaded ?? cached!;
  if (!loaded && changesSetting(events)) setting = await loadRoomPushSetting(roomId);
  cache.rooms.set(roomId, setting);
  const missing = setting.members.filter((u) => !cache.rulesets.has(u));
  for (const [userId, ruleset] of await loadPushRulesets(missing)) cache.rulesets.set(userId, ruleset);

  const facts = setting.facts;
  const counted = countedByMember(events, setting.members, (event, userId) =>
    eventNotification(cache.rulesets.get(userId)!, event, userId, facts),
  );
  let changed = 0;
  let next = 0;
  const worker = async () => {
    while (next < counted.length) {
      if (await addCounted(roomId, counted[next++]!)) changed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_WRITES, counted.length) }, worker));
  return changed;
}
