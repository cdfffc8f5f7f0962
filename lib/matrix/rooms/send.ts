// Sending message and state events in the rooms topology. A send with a transaction id that was
// seen before answers the first event's id and writes nothing; the transaction id is recorded in
// the same transaction as the event, so this check is authoritative (the HTTP operation's own
// check only spares a depot round trip).
import { assertAllowed, authorizeEvent } from '../auth-rules.ts';
import { addedCanonicalAliases } from '../canonical-alias.ts';
import type { JsonObject } from '../canonical-json.ts';
import { checkClientEvent } from '../client-event-rules.ts';
import { resolveAlias } from '../directory/aliases.ts';
import { MatrixError } from '../errors.ts';
import { serverName } from '../ids.ts';
import { transactionIds } from '../pstates.ts';
import { isRepeatedStateEvent } from '../room-state.ts';
import type { SendCommand } from './commands.ts';
import type { RoomPlan } from './plan.ts';
import { loadRoom, RoomWriter, type CommandOrigin } from './room-writes.ts';

// A transaction id is scoped to the device and the endpoint (spec, "Transaction identifiers"), and
// to the room as Synapse scopes it (its event_txn_id rows are per room; Complement's
// TestTxnIdempotency): the same txnId in another room is another event.

/** The transactionIds key of a send (PUT send/{eventType}/{txnId}). */
export const sendTransactionKey = (userId: string, deviceId: string, roomId: string, txnId: string) =>
  `${userId}\u0000${deviceId}\u0000${roomId}\u0000${txnId}`;

/** The transactionIds key of a redaction (PUT redact/{eventId}/{txnId}: another endpoint, another scope). */
export const redactTransactionKey = (userId: string, deviceId: string, roomId: string, txnId: string) =>
  `${userId}\u0000${deviceId}\u0000redact\u0000${roomId}\u0000${txnId}`;

/** The key a transaction had before keys named the room (its record names the room instead). */
const unscopedKey = (key: string, roomId: string) => key.replace(`\u0000${roomId}\u0000`, '\u0000');

/**
 * The event a transaction created in this room, if any: its key, or the key it had before keys
 * named the room, so a request retried across that change still finds its event.
 */
export async function recordedTransaction(key: string, roomId: string): Promise<{ eventId: string; roomId: string } | undefined> {
  const [scoped, unscoped] = await Promise.all([
    transactionIds.key(key).get({ consistent: true }),
    transactionIds.key(unscopedKey(key, roomId)).get({ consistent: true }),
  ]);
  if (scoped?.eventId) return { eventId: scoped.eventId, roomId };
  if (unscoped?.eventId && unscoped.roomId === roomId) return { eventId: unscoped.eventId, roomId };
  return undefined;
}

export async function planSend(command: SendCommand, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, sender, deviceId, type, stateKey, content, txnId } = command;
  const txnKey = txnId !== undefined ? sendTransactionKey(sender, deviceId, roomId, txnId) : undefined;
  // The transaction id and the room are read at the same time (one round trip on the lane's path);
  // a transaction seen before wins over whatever the room's state says now.
  const [seen, loaded] = await Promise.allSettled([
    txnKey ? recordedTransaction(txnKey, roomId) : Promise.resolve(undefined),
    loadRoom(roomId, sender, stateKey !== undefined ? [[type, stateKey]] : []),
  ]);
  if (seen.status === 'rejected') throw seen.reason;
  if (seen.value) return { ops: [], value: seen.value };
  // The operation checked already; records appended before these checks existed meet them here.
  checkClientEvent({ roomId, type, ...(stateKey !== undefined ? { stateKey } : {}), content }, serverName());
  if (loaded.status === 'rejected') throw loaded.reason;
  const room = loaded.value;
  const draft = {
    type,
    sender,
    ...(stateKey !== undefined ? { state_key: stateKey } : {}),
    content,
    ...(txnId !== undefined ? { unsigned: { transaction: { device_id: deviceId, txn_id: txnId } } } : {}),
  };
  if (stateKey !== undefined) {
    // The same state again from the same sender: the current event's id, nothing written (as
    // Synapse); still only for a sender who may set it now.
    const current = room.state.get(type, stateKey);
    if (current && isRepeatedStateEvent(current, sender, content)) {
      assertAllowed(authorizeEvent({ ...draft, room_id: roomId }, room.state, room.head.version));
      return { ops: [], value: { roomId, eventId: current.event_id } };
    }
  }
  const previous = stateKey !== undefined ? room.state.get(type, stateKey) : undefined;
  const writer = new RoomWriter(roomId, room.head, room.state, origin);
  const event = writer.append(draft);
  // After the auth rules (a sender without the power gets their 403 first), as Synapse orders it.
  if (type === 'm.room.canonical_alias' && stateKey !== undefined) await checkCanonicalAliases(roomId, previous?.content, content);
  const ops = writer.writes();
  if (txnKey) ops.push(transactionIds.key(txnKey).set({ eventId: event.event_id, roomId }, { ifAbsent: true }));
  return { ops, value: { roomId, eventId: event.event_id }, events: writer.events };
}

/** The aliases a canonical alias event adds must point to this room now (Synapse: 400 M_BAD_ALIAS). */
async function checkCanonicalAliases(roomId: string, previous: JsonObject | undefined, next: JsonObject): Promise<void> {
  const added = addedCanonicalAliases(previous, next);
  const resolved = await Promise.all(added.map((alias) => resolveAlias(alias, true)));
  const stray = added.find((_, i) => resolved[i]?.roomId !== roomId);
  if (stray) throw new MatrixError(400, 'M_BAD_ALIAS', `Room alias ${stray} does not point to the room`);
}
