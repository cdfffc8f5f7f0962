// Commands: how an HTTP operation asks a topology to change state. The operation appends the
// command to its depot and waits for the recorded outcome (append with ack), so the response
// reflects the write. A topology's refusal comes back as the Matrix error it chose.
import { appendManyWithAck, appendWithAck, type AckOutcome } from '../core/ack.ts';
import { appendToDepot, DepotRecordTooLargeError } from '../core/depot.ts';
import { Rejection } from '../core/topology/stream.ts';
import { validateDepotCommand } from './depot-commands.ts';
import { MatrixError, type MatrixErrcode } from './errors.ts';

import type { Depot } from './depots.ts';

export type { Depot };

/** How long an operation waits for its command's outcome; below API Gateway's 30 s limit. */
export const COMMAND_TIMEOUT_MS = 20_000;

export interface Command<K extends string = string> {
  kind: K;
}

/** The MatrixError a recorded refusal stands for. */
function refusal(outcome: AckOutcome & { ok: false }): MatrixError {
  const { status, code, message, data } = outcome.error;
  // The core's own refusals (a record its schema or DynamoDB cannot take) name no Matrix errcode.
  const errcode = code.startsWith('M_') ? (code as MatrixErrcode) : status === 413 ? 'M_TOO_LARGE' : 'M_BAD_JSON';
  return new MatrixError(status ?? 400, errcode, message, data ?? {});
}

/**
 * Append a command and wait for its outcome; a refusal throws the topology's MatrixError. The
 * command is validated first, with the validator its topology parses it with (depot-commands.ts):
 * what the topology could not store is refused here, with nothing appended.
 */
export async function submit<T>(depot: Depot, partitionKey: string, command: Command, timeoutMs = COMMAND_TIMEOUT_MS): Promise<T> {
  validateDepotCommand(depot, command);
  const outcome = await tooLargeAsMatrixError(() => appendWithAck<T>(depot, { partitionKey, data: command, kind: command.kind }, { timeoutMs }));
  if (outcome.ok) return outcome.value;
  throw refusal(outcome);
}

/** One command of many: its value, its refusal, or `undefined` when no outcome came within the wait. */
export type CommandResult<T> = { ok: true; value: T } | { ok: false; error: MatrixError } | undefined;

/**
 * Append many commands (a request that fans out: one per recipient, per claimed user) and wait
 * for all their outcomes together — batched appends and batched polls, one AWS request in flight
 * (lib/core/ack.ts appendManyWithAck) — however many there are. Results in the commands' order.
 */
export async function submitMany<T>(
  depot: Depot,
  commands: readonly { partitionKey: string; command: Command }[],
  timeoutMs = COMMAND_TIMEOUT_MS,
): Promise<CommandResult<T>[]> {
  for (const { command } of commands) validateDepotCommand(depot, command);
  const outcomes = await tooLargeAsMatrixError(() =>
    appendManyWithAck<T>(
      depot,
      commands.map(({ partitionKey, command }) => ({ partitionKey, data: command, kind: command.kind })),
      { timeoutMs },
    ),
  );
  return outcomes.map((o) => (o === undefined ? undefined : o.ok ? { ok: true, value: o.value } : { ok: false, error: refusal(o) }));
}

/** Append commands nobody waits on (validated as `submit` does), in order per partition key. */
export async function appendCommands(depot: Depot, commands: readonly { partitionKey: string; command: Command; requestId?: string }[]): Promise<void> {
  for (const { command } of commands) validateDepotCommand(depot, command);
  const records = commands.map(({ partitionKey, command, requestId }) => ({ partitionKey, data: command, kind: command.kind, ...(requestId !== undefined ? { requestId } : {}) }));
  await tooLargeAsMatrixError(() => appendToDepot(depot, records));
}

/** A record over Kinesis' 1 MB cannot be appended: the request was too large (413), not a failure. */
async function tooLargeAsMatrixError<T>(append: () => Promise<T>): Promise<T> {
  try {
    return await append();
  } catch (e) {
    if (e instanceof DepotRecordTooLargeError) throw new MatrixError(413, 'M_TOO_LARGE', 'Request too large to be stored');
    throw e;
  }
}

/** In a topology: refuse a command with a Matrix error, recorded for the waiting operation. */
export function rejection(error: MatrixError): Rejection {
  return new Rejection(error.errcode, error.message, error.status, error.extra);
}

/** Run topology logic that throws MatrixError for refusals, turning them into recorded rejections. */
export async function refusingWith<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof MatrixError) throw rejection(e);
    throw e;
  }
}
