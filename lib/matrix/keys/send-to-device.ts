// PUT /sendToDevice/{eventType}/{txnId}, the HTTP side: one command per recipient user through the
// users depot (partition = recipient, so its inbox keeps its order), which files the messages in the
// devices' inboxes once per transaction id (lib/matrix/keys/to-device.ts).
//
// Work per request is bounded: at most MAX_TO_DEVICE_MESSAGES messages (413 M_TOO_LARGE above: four
// times the 250 matrix-rust-sdk puts in one request; Synapse has no cap), each at most 64 KiB of
// canonical JSON (413, as Synapse); recipients that are malformed, of another server or without an
// account are skipped, as Synapse skips malformed ones, after one batched read of the users PState;
// the rest go out as one batch of commands (submitMany), each counted against the sender's fan-out
// budget (429 M_LIMIT_EXCEEDED before anything is appended).
import { z } from 'zod';
import { AckTimeoutError } from '../../core/ack.ts';
import { existingLocalUsers } from '../accounts/existing.ts';
import { COMMAND_TIMEOUT_MS, submitMany } from '../commands.ts';
import { tooLarge } from '../errors.ts';
import { MAX_IDENTIFIER_BYTES } from '../path-parameters.ts';
import { limitFanOut } from '../rate-limits.ts';
import type { KeysCommand } from './commands.ts';

export const MAX_TO_DEVICE_MESSAGES = 1000;
/** Synapse's MAX_TO_DEVICE_CONTENT_SIZE: the canonical JSON of one message's content. */
export const MAX_TO_DEVICE_CONTENT_BYTES = 65_536;

/** The body of PUT /sendToDevice: recipient user id → device id (or `*`) → content. */
export const sendToDeviceRequest = z.object({ messages: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))) });

export interface ToDeviceSend {
  sender: string;
  senderDevice: string;
  type: string;
  txnId: string;
  /** recipient user id → device id (or `*`) → content */
  messages: Record<string, Record<string, Record<string, unknown>>>;
}

export async function sendToDevice(send: ToDeviceSend): Promise<void> {
  const count = Object.values(send.messages).reduce((n, byDevice) => n + Object.keys(byDevice).length, 0);
  if (count > MAX_TO_DEVICE_MESSAGES) throw tooLarge(`At most ${MAX_TO_DEVICE_MESSAGES} to-device messages per request`);
  for (const [userId, byDevice] of Object.entries(send.messages)) {
    for (const [deviceId, content] of Object.entries(byDevice)) {
      // Canonical JSON's length is JSON.stringify's (same text, other key order) for what it accepts.
      if (Buffer.byteLength(JSON.stringify(content), 'utf8') > MAX_TO_DEVICE_CONTENT_BYTES) {
        throw tooLarge(`To-device message for ${userId}:${deviceId} is over ${MAX_TO_DEVICE_CONTENT_BYTES} bytes`);
      }
    }
  }
  const known = await existingLocalUsers(Object.keys(send.messages));
  const commands = [...known].flatMap((userId) => {
    const messages = Object.fromEntries(Object.entries(send.messages[userId]!).filter(([d]) => d.length > 0 && Buffer.byteLength(d, 'utf8') <= MAX_IDENTIFIER_BYTES));
    if (Object.keys(messages).length === 0) return [];
    const command: KeysCommand = { kind: 'keys.toDevice', userId, sender: send.sender, senderDevice: send.senderDevice, txnId: send.txnId, type: send.type, messages };
    return [{ partitionKey: userId, command }];
  });
  await limitFanOut(send.sender, commands.length);
  const results = await submitMany('users', commands);
  for (const r of results) {
    if (r === undefined) throw new AckTimeoutError('users', `sendToDevice ${send.txnId}`, COMMAND_TIMEOUT_MS);
    if (!r.ok) throw r.error;
  }
}
