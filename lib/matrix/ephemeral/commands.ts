// The ephemeral depot's records: typing (partition key = room id), receipts (room id) and presence
// (user id). The HTTP and WebSocket operations check who may do what BEFORE appending, so the
// microbatch topology only aggregates: it never refuses a record.
import { z } from 'zod';
import { freeText, id, MAX_ID_BYTES, text } from '../command-fields.ts';

export const RECEIPT_TYPES = ['m.read', 'm.read.private'] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];

export const PRESENCE_STATES = ['online', 'unavailable', 'offline'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];

export const ephemeralCommand = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('ephemeral.typing'),
    roomId: id,
    userId: id,
    typing: z.boolean(),
    /** Already clamped to the allowed range. */
    timeoutMs: z.number().int().nonnegative(),
  }),
  z.object({
    kind: z.literal('ephemeral.receipt'),
    roomId: id,
    userId: id,
    receiptType: z.enum(RECEIPT_TYPES),
    eventId: id,
    /** The event's position in the room: a receipt never moves back. */
    position: z.number().int(),
    /** Empty: unthreaded. */
    threadId: text(MAX_ID_BYTES),
  }),
  z.object({
    kind: z.literal('ephemeral.presence'),
    userId: id,
    presence: z.enum(PRESENCE_STATES),
    /** A string sets the status message, null clears it, absent keeps it (sync's set_presence). */
    statusMsg: freeText.nullable().optional(),
    /** The device that set it, when known (a sync or PUT /presence; not a WebSocket frame). */
    deviceId: id.optional(),
  }),
]);
export type EphemeralCommand = z.infer<typeof ephemeralCommand>;
export type EphemeralCommandOf<K extends EphemeralCommand['kind']> = Extract<EphemeralCommand, { kind: K }>;
