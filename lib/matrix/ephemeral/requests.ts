// Requests of the typing, presence, receipt and read-marker endpoints: their bodies, and what a
// checked receipt or read-marker request writes.
import { z } from 'zod';
import { forbidden, invalidParam } from '../errors.ts';
import { identifier } from '../request-schemas.ts';
import { PRESENCE_STATES, RECEIPT_TYPES, type PresenceState, type ReceiptType } from './commands.ts';
import { checkReadMarkers, submitCheckedReceipt, submitFullyRead } from './submit.ts';

export const typingRequest = z.looseObject({ typing: z.boolean(), timeout: z.number().int().nonnegative().optional() });

export const presenceRequest = z.looseObject({ presence: z.string(), status_msg: z.string().nullable().optional() });

export const receiptRequest = z.looseObject({ thread_id: z.string().optional() });

/** Event ids: they key the reads that locate the events. */
export const readMarkersRequest = z.looseObject({
  'm.fully_read': identifier.optional(),
  'm.read': identifier.optional(),
  'm.read.private': identifier.optional(),
});

export function presenceState(value: string): PresenceState {
  if (!(PRESENCE_STATES as readonly string[]).includes(value)) throw invalidParam(`Unknown presence state: ${value}`);
  return value as PresenceState;
}

/** A receipt type this server stores as a receipt (m.fully_read is a read marker instead). */
export function isReceiptType(value: string): value is ReceiptType {
  return (RECEIPT_TYPES as readonly string[]).includes(value);
}

/** 403 M_FORBIDDEN unless the path's user is the requester (one sets only one's own typing and presence). */
export function requireSelf(requester: { userId: string }, userId: string, what: string): void {
  if (requester.userId !== userId) throw forbidden(`Cannot set ${what} of other users.`);
}

/** POST /rooms/{roomId}/receipt/{receiptType}/{eventId}: a receipt, or the m.fully_read marker. */
export async function postReceipt(userId: string, roomId: string, receiptType: string, eventId: string, body: z.output<typeof receiptRequest>): Promise<void> {
  if (body.thread_id !== undefined && body.thread_id === '') throw invalidParam('thread_id must not be empty');
  if (receiptType === 'm.fully_read') {
    if (body.thread_id !== undefined) throw invalidParam('thread_id is not allowed for m.fully_read');
    await checkReadMarkers(userId, roomId, [eventId]);
    await submitFullyRead(userId, roomId, eventId);
    return;
  }
  if (!isReceiptType(receiptType)) throw invalidParam(`Unknown receipt type: ${receiptType}`);
  const [position] = await checkReadMarkers(userId, roomId, [eventId]);
  await submitCheckedReceipt(userId, roomId, receiptType, eventId, position!, body.thread_id ?? '');
}

/** POST /rooms/{roomId}/read_markers: everything is checked before anything is written (a bad event id writes nothing). */
export async function setReadMarkers(userId: string, roomId: string, body: z.output<typeof readMarkersRequest>): Promise<void> {
  const fullyRead = body['m.fully_read'];
  const receipts = (['m.read', 'm.read.private'] as const).flatMap((type) => (body[type] !== undefined ? [{ type, eventId: body[type] }] : []));
  const eventIds = [...(fullyRead !== undefined ? [fullyRead] : []), ...receipts.map((r) => r.eventId)];
  const positions = await checkReadMarkers(userId, roomId, eventIds);
  const receiptPositions = fullyRead !== undefined ? positions.slice(1) : positions;
  await Promise.all([
    ...(fullyRead !== undefined ? [submitFullyRead(userId, roomId, fullyRead)] : []),
    ...receipts.map((r, i) => submitCheckedReceipt(userId, roomId, r.type, r.eventId, receiptPositions[i]!)),
  ]);
}
