// Sending message and state events in the rooms topology. A send with a transaction id that was
// seen before answers the first event's id and writes nothing; the transaction id is recorded in
// the same transaction as the event, so this check is authoritative (the HTTP operation's own
// check only spares a depot round trip).
import { assertAllowed, authorizeEvent } from '../auth-rules.ts';
import { addedCanonicalAliases } from '../canonical-alias.ts';
import type { JsonObject } from '../canonical-json.ts';
import { checkClientEvent } from '../client-event-rules.ts';
import { resolveAlias } from '../directory/aliases.ts';
import { MatrixError, notFound } from '../errors.ts';
import { serverName } from '../ids.ts';
import { roomTimeline, transactionIds } from '../pstates.ts';
import { watermarkWrite } from '../sync/watermark.ts';
import { itemsToRead, type ItemKey } from '../../core/pstate/index.ts';
import { isRepeatedStateEvent } from '../room-state.ts';
import type { SendCommand } from './commands.ts';
import type { RoomPlan } from './plan.ts';
import { readRoomAndTransactions, RoomWriter, type CommandOrigin, type RecordedTransactionItem } from './room-writes.ts';

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
  return transactionFound(roomId, scoped, unscoped);
}

/** The event of a transaction from its two items (the key naming the room, the key from before). */
function transactionFound(roomId: string, scoped: RecordedTransactionItem, unscoped: RecordedTransactionItem): { eventId: string; roomId: string } | undefined {
  if (scoped?.eventId) return { eventId: scoped.eventId, roomId };
  if (unscoped?.eventId && unscoped.roomId === roomId) return { eventId: unscoped.eventId, roomId };
  return undefined;
}

/**
 * The items preparing a message's writes reads: the timeline's size (its append) and the lane's
 * watermark (a subindexed map's element). Read with the room, so the commit follows the plan's
 * one read directly.
 */
function sendPrepareItems(roomId: string, origin: CommandOrigin): ItemKey[] {
  return [...roomTimeline.key(roomId).itemsAnAppendReads(), ...itemsToRead(watermarkWrite('rooms', origin.lane, origin.seq))];
}

export async function planSend(command: SendCommand, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, sender, deviceId, type, stateKey, content, txnId } = command;
  const txnKey = txnId !== undefined ? sendTransactionKey(sender, deviceId, roomId, txnId) : undefined;
  // The transaction id (both its keys), the room and what preparing the writes needs: one
  // BatchGetItem on the lane's path. A transaction seen before wins over whatever the room's state says now.
  const read = await readRoomAndTransactions(
    roomId,
    sender,
    stateKey !== undefined ? [[type, stateKey]] : [],
    txnKey ? [txnKey, unscopedKey(txnKey, roomId)] : [],
    sendPrepareItems(roomId, origin),
  );
  const seen = txnKey ? transactionFound(roomId, read.transactions[0], read.transactions[1]) : undefined;
  if (seen) return { ops: [], value: seen, known: read.known };
  // The operation checked already; records appended before these checks existed meet them here.
  checkClientEvent({ roomId, type, ...(stateKey !== undefined ? { stateKey } : {}), content }, serverName());
  if (!read.room) throw notFound('Unknown room');
  const room = read.room;
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
  return { ops, value: { roomId, eventId: event.event_id }, events: writer.events, known: read.known };
}

/** The aliases a canonical alias event adds must point to this room now (Synapse: 400 M_BAD_ALIAS). */
async function checkCanonicalAliases(roomId: string, previous: JsonObject | undefined, next: JsonObject): Promise<void> {
  const added = addedCanonicalAliases(previous, next);
  const resolved = await Promise.all(added.map((alias) => resolveAlias(alias, true)));
  const stray = added.find((_, i) => resolved[i]?.roomId !== roomId);
  if (stray) throw new MatrixError(400, 'M_BAD_ALIAS', `Room alias ${stray} does not point to the room`);
}
