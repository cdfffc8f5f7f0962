// Redactions in the rooms topology: the m.room.redaction event is appended, and the redacted
// event's stored copies (timeline, and current state when it is a state event still in force)
// are pruned per the room version, carrying the redaction in `unsigned.redacted_because`.
// PUT /redact and an m.room.redaction through PUT /send both come here: the same checks
// (the target is an event of this room; one's own, or with the redact level) for both.
import { assertAllowed, authorizeRedaction } from '../auth-rules.ts';
import type { JsonObject } from '../canonical-json.ts';
import { badJson, notFound } from '../errors.ts';
import { applyRedaction, toClientEvent, type ClientEvent } from '../events.ts';
import { eventLocations, roomState, roomTimeline, transactionIds } from '../pstates.ts';
import { stateKeyOf } from '../room-state.ts';
import { redactsOf } from '../client-event-rules.ts';
import type { RedactCommand, SendCommand } from './commands.ts';
import type { RoomPlan } from './plan.ts';
import { loadRoom, RoomWriter, type CommandOrigin } from './room-writes.ts';
import { recordedTransaction, redactTransactionKey, sendTransactionKey } from './send.ts';

export interface Redaction {
  roomId: string;
  sender: string;
  deviceId: string;
  redacts: string;
  /** The redaction event's content, `redacts` aside (placed per room version). */
  content: JsonObject;
  txnId: string;
  /** The transactionIds key: /redact and /send are separate scopes. */
  txnKey: string;
}

export function planRedact(command: RedactCommand, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, sender, deviceId, redacts, txnId } = command;
  const content: JsonObject = command.reason !== undefined ? { reason: command.reason } : {};
  return planRedaction({ roomId, sender, deviceId, redacts, content, txnId, txnKey: redactTransactionKey(sender, deviceId, roomId, txnId) }, origin);
}

/** An m.room.redaction through PUT /send: `content.redacts` names the target, the txnId is /send's. */
export function planSentRedaction(command: SendCommand, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, sender, deviceId, txnId } = command;
  if (command.stateKey !== undefined || txnId === undefined) throw badJson('m.room.redaction cannot be sent as state');
  const { redacts: _redacts, ...content } = command.content;
  const redacts = redactsOf(command.content);
  return planRedaction({ roomId, sender, deviceId, redacts, content, txnId, txnKey: sendTransactionKey(sender, deviceId, roomId, txnId) }, origin);
}

export async function planRedaction(redaction: Redaction, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, sender, deviceId, redacts, txnId, txnKey } = redaction;
  const [seen, location] = await Promise.all([
    recordedTransaction(txnKey, roomId),
    eventLocations.key(redacts).get({ consistent: true }),
  ]);
  if (seen) return { ops: [], value: seen };
  // Another room's event is unknown here, as it is to /redact (Synapse: 400, which tells that it exists).
  if (!location || location.roomId !== roomId || location.position === undefined) throw notFound('Unknown event');
  const index = location.position - 1;
  const entry = await roomTimeline.key(roomId).key(index).get({ consistent: true });
  if (!entry) throw notFound('Unknown event');
  const target = entry.event;
  const room = await loadRoom(roomId, sender, target.state_key !== undefined ? [[target.type, target.state_key]] : []);
  assertAllowed(authorizeRedaction(sender, target, room.state, room.head.version));

  const writer = new RoomWriter(roomId, room.head, room.state, origin);
  const stateCopy = target.state_key !== undefined ? room.state.get(target.type, target.state_key) : undefined;
  const event = writer.append({
    type: 'm.room.redaction',
    sender,
    content: redaction.content,
    redacts,
    unsigned: { transaction: { device_id: deviceId, txn_id: txnId } },
  });
  const because: ClientEvent = toClientEvent(event, { now: origin.arrivedAt });
  delete because.unsigned;
  const redacted = applyRedaction(target, because, room.head.version);
  const ops = writer.writes();
  ops.push(roomTimeline.key(roomId).key(index).set({ ...entry, event: redacted }));
  if (stateCopy?.event_id === target.event_id) {
    ops.push(roomState.key(roomId).key(stateKeyOf(target.type, target.state_key!)).set(redacted));
  }
  ops.push(transactionIds.key(txnKey).set({ eventId: event.event_id, roomId }, { ifAbsent: true }));
  return { ops, value: { roomId, eventId: event.event_id }, events: writer.events };
}
