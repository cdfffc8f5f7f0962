// Redactions in the rooms topology: the m.room.redaction event is appended, and the redacted
// event's stored copies (timeline, and current state when it is a state event still in force)
// are pruned per the room version, carrying the redaction in `unsigned.redacted_because`.
import { assertAllowed, authorizeRedaction } from '../auth-rules.ts';
import { notFound } from '../errors.ts';
import { applyRedaction, toClientEvent, type ClientEvent } from '../events.ts';
import { eventLocations, roomState, roomTimeline, transactionIds } from '../pstates.ts';
import { stateKeyOf } from '../room-state.ts';
import type { RedactCommand } from './commands.ts';
import type { RoomPlan } from './plan.ts';
import { loadRoom, RoomWriter, type CommandOrigin } from './room-writes.ts';
import { redactTransactionKey } from './send.ts';

export async function planRedact(command: RedactCommand, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, sender, deviceId, redacts, txnId } = command;
  const txnKey = redactTransactionKey(sender, deviceId, txnId);
  const [seen, location] = await Promise.all([
    transactionIds.key(txnKey).get({ consistent: true }),
    eventLocations.key(redacts).get({ consistent: true }),
  ]);
  if (seen?.eventId) return { ops: [], value: { roomId: seen.roomId ?? roomId, eventId: seen.eventId } };
  if (!location || location.roomId !== roomId || location.position === undefined) throw notFound('Unknown event');
  const index = location.position - 1;
  const entry = await roomTimeline.key(roomId).key(index).get({ consistent: true });
  if (!entry) throw notFound('Unknown event');
  const target = entry.event;
  const room = await loadRoom(roomId, sender, target.state_key !== undefined ? [[target.type, target.state_key]] : []);
  assertAllowed(authorizeRedaction(sender, target, room.state, room.head.version));

  const writer = new RoomWriter(roomId, room.head, room.state, origin);
  const stateCopy = target.state_key !== undefined ? room.state.get(target.type, target.state_key) : undefined;
  const redaction = writer.append({
    type: 'm.room.redaction',
    sender,
    content: command.reason !== undefined ? { reason: command.reason } : {},
    redacts,
    unsigned: { transaction: { device_id: deviceId, txn_id: txnId } },
  });
  const because: ClientEvent = toClientEvent(redaction, { now: origin.arrivedAt });
  delete because.unsigned;
  const redacted = applyRedaction(target, because, room.head.version);
  const ops = writer.writes();
  ops.push(roomTimeline.key(roomId).key(index).set({ ...entry, event: redacted }));
  if (stateCopy?.event_id === target.event_id) {
    ops.push(roomState.key(roomId).key(stateKeyOf(target.type, target.state_key!)).set(redacted));
  }
  ops.push(transactionIds.key(txnKey).set({ eventId: redaction.event_id, roomId }, { ifAbsent: true }));
  return { ops, value: { roomId, eventId: redaction.event_id } };
}
