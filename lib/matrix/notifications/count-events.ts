// The rooms topology's notification counting: after a record's events are committed (and before
// the wake-ups of waiting syncs), each joined member's push rules are evaluated on each event, in
// memory, against the ordinary member's outcome (base): the room's tally takes the base, and
// only the members whose outcome differs (the sender, the mentioned, those with their own rules)
// and those the record makes join are written. A message in a room of any size costs one
// transaction of 1 + exceptions items, exactly once under redelivery (record-writes.ts).
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import type { RoomEvent } from '../events.ts';
import { baseNotification, countRecord, eventNotification, type Tally } from '../notification-counts.ts';
import { eventsOfRecord } from '../push/timeline.ts';
import type { RoomCommand } from '../rooms/commands.ts';
import { batchCache } from './batch-cache.ts';
import { tallyPath } from './counts.ts';
import { applyRecordCounts } from './record-writes.ts';
import { loadPushRulesets, loadRoomPushSetting } from './room-facts.ts';
import { cachedPushSetting, changesPushSetting, keepPushSetting } from './setting-cache.ts';

async function readTally(roomId: string): Promise<Tally> {
  const t = await tallyPath(roomId).get({ consistent: true });
  return { position: t?.position ?? 0, notifications: t?.notifications ?? 0, highlights: t?.highlights ?? 0 };
}

/**
 * Count the notifications of the record's events (`appended` when the caller has them, else read
 * back from the timeline). `batch` (the invocation's context) scopes the cache of rulesets, room
 * settings and tallies to one batch. Returns how many items were written.
 */
export async function countRecordNotifications(
  record: Pick<DepotRecord<RoomCommand>, 'payload' | 'sequenceNumber'>,
  batch?: object,
  appended?: readonly RoomEvent[],
): Promise<number> {
  const roomId = record.payload?.roomId;
  if (!roomId) return 0;
  // The record's events (none for a refused record or a directory change): in memory from its
  // commit, else read back. The room's setting: the one cached for the position right before them
  // (setting-cache.ts), else read now, after the commit (it then holds the record's own changes).
  const cache = batchCache(batch);
  const events = appended ?? (await eventsOfRecord(roomId, sequencePosition(record.sequenceNumber)));
  if (events.length === 0) return 0;
  const cached = changesPushSetting(events) ? undefined : cachedPushSetting(roomId, events);
  const setting = cached ?? (await loadRoomPushSetting(roomId));
  keepPushSetting(roomId, events, setting, cached === undefined);
  const missing = setting.members.filter((u) => !cache.rulesets.has(u));
  for (const [userId, ruleset] of await loadPushRulesets(missing)) cache.rulesets.set(userId, ruleset);

  const facts = setting.facts;
  const counts = countRecord(
    events,
    setting.members,
    (event, userId) => eventNotification(cache.rulesets.get(userId)!, event, userId, facts),
    (event) => baseNotification(event, facts),
  );
  const writesTally = counts.base.notifications !== 0 || counts.base.highlights !== 0;
  if (!writesTally && counts.exceptions.length === 0 && counts.joiners.length === 0) return 0;
  // Joiners start at the tally after the record: this lane is the tally's only writer, so the
  // value this batch last wrote (or a read of it) is the value before the record.
  const before = counts.joiners.length ? (cache.tallies.get(roomId) ?? (await readTally(roomId))) : cache.tallies.get(roomId);
  const applied = await applyRecordCounts(roomId, counts, before);
  if (applied.tally) cache.tallies.set(roomId, applied.tally);
  else if (writesTally) cache.tallies.delete(roomId);
  return applied.written;
}
