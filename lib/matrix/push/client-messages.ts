// What a connected client sends: `{"action": "ping", "since"?}` (`since`: a /sync next_batch the
// client caught up with after a reconnect, so the connection's cursor moves on from there), `{"action": "typing", "room_id", "typing",
// "timeout"?}` and `{"action": "presence", "presence", "status_msg"?}`. Answers go back through
// `@connections` (the gateway's route responses are not used); errors as Matrix-shaped error frames.
import { z } from 'zod';
import { PRESENCE_STATES } from '../ephemeral/commands.ts';
import { submitPresence, submitTyping } from '../ephemeral/submit.ts';
import { badJson, MatrixError, notJson } from '../errors.ts';
import { decodeSyncToken } from '../sync/token.ts';
import { identifier, parseJsonText } from '../request-schemas.ts';
import { connectionOwner, moveCursor, readConnection } from './connections.ts';
import { mergeCursor } from './cursor.ts';
import { errorFrame, pongFrame, type ServerFrame } from './frames.ts';
import { stayConnectedOnline } from './online.ts';
import { pushFrame } from './push.ts';
import { dropConnection, liveSession } from './revoked.ts';

export interface ClientMessage {
  connectionId: string;
  /** When the gateway accepted the connection. */
  connectedAt: number;
  /** The gateway's route: an action with a route of its own, else `$default`. */
  route: string;
  body: string | undefined;
}

const pingAction = z.object({ action: z.literal('ping'), since: z.string().optional() });

const typingAction = z.object({
  action: z.literal('typing'),
  /** It keys the membership read: an identifier (at most 255 bytes), as in a request path. */
  room_id: identifier,
  typing: z.boolean(),
  timeout: z.number().int().nonnegative().optional(),
});

const presenceAction = z.object({
  action: z.literal('presence'),
  presence: z.enum(PRESENCE_STATES),
  status_msg: z.string().nullable().optional(),
});

function parseBody(body: string | undefined): unknown {
  return parseJsonText(body ?? '', () => notJson('Frames must be JSON objects with an "action"'));
}

function parseAction<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw badJson(parsed.error.issues.map((i) => `${i.path.join('.') || 'frame'}: ${i.message}`).join('; '));
  return parsed.data;
}

async function catchUpCursor(userId: string, connectionId: string, since: string): Promise<void> {
  decodeSyncToken(since);
  for (let attempt = 0; attempt < 20; attempt++) {
    const c = await readConnection(userId, connectionId);
    if (!c) return;
    const next = mergeCursor(c.cursor, since);
    if (next === c.cursor || (await moveCursor(c, c.cursor, next))) return;
  }
}

/** Runs one client frame; the frame to answer with, if any. */
async function run(userId: string, message: ClientMessage, shadowBanned: boolean): Promise<ServerFrame | undefined> {
  switch (message.route) {
    case 'ping': {
      const frame = parseAction(pingAction, parseBody(message.body));
      if (frame.since !== undefined) await catchUpCursor(userId, message.connectionId, frame.since);
      return pongFrame;
    }
    case 'typing': {
      const frame = parseAction(typingAction, parseBody(message.body));
      await submitTyping(userId, frame.room_id, frame.typing, frame.timeout, shadowBanned);
      return undefined;
    }
    case 'presence': {
      const frame = parseAction(presenceAction, parseBody(message.body));
      await submitPresence(userId, frame.presence, frame.status_msg !== undefined ? { statusMsg: frame.status_msg } : {});
      return undefined;
    }
    default: {
      const action = (parseBody(message.body) as { action?: unknown } | null)?.action;
      const name = typeof action === 'string' ? `"${action.slice(0, 64)}"` : 'missing';
      return errorFrame('M_UNRECOGNIZED', `Unrecognized action: ${name}`);
    }
  }
}

export async function handleClientMessage(message: ClientMessage): Promise<void> {
  const owner = await connectionOwner(message.connectionId);
  // A connection we do not know: its records were removed (its token revoked, or it was lost).
  // Nothing it asks is done; it is closed so the client learns at once.
  if (!owner) {
    await dropConnection(message.connectionId);
    return;
  }
  const { userId } = owner;
  // The connection lives as long as the token it was opened with: every action checks it.
  const session = await liveSession(userId, owner.tokenHash);
  if (!session) {
    const revoked = errorFrame('M_UNKNOWN_TOKEN', 'The access token this connection was opened with is no longer valid');
    await pushFrame({ connectionId: message.connectionId, userId, connectedAt: message.connectedAt }, revoked);
    await dropConnection(message.connectionId, userId);
    return;
  }
  // Any client message keeps the connection open at the gateway: keep the user online as long.
  await stayConnectedOnline(userId);
  let answer: ServerFrame | undefined;
  try {
    answer = await run(userId, message, session.shadowBanned);
  } catch (err) {
    if (!(err instanceof MatrixError)) throw err;
    answer = errorFrame(err.errcode, err.message);
  }
  if (answer) await pushFrame({ connectionId: message.connectionId, userId, connectedAt: message.connectedAt }, answer);
}
