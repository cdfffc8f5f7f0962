// Request bodies of the typing, presence, receipt and read-marker endpoints.
import { z } from 'zod';
import { invalidParam } from '../errors.ts';
import { identifier } from '../request-schemas.ts';
import { PRESENCE_STATES, RECEIPT_TYPES, type PresenceState, type ReceiptType } from './commands.ts';

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
