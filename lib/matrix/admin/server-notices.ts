// Synapse's server notices (docs/server_notices.md, docs/admin_api/server_notices.md): an admin
// sends a message to a user from a system account, in a room of theirs with that account, tagged
// `m.server_notice`, where the user cannot write (users_default -10, Synapse's). The room's id is
// derived from the user's, so retries and concurrent notices find or create the same room: the
// rooms topology creates it once and refuses the others ("Room already exists"), which count as
// found. The user is invited at creation, and again if they left (Synapse makes a new room then).
// Every write is a depot command: the account on the users depot, the room, invite and notice on
// the rooms depot, the tag on the users depot.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { submitAccountCommand } from '../accounts/account.ts';
import { serverNoticesConfig } from '../accounts/reserved-ids.ts';
import { register } from '../accounts/sessions.ts';
import { submit } from '../commands.ts';
import { planCreateRoom } from '../create-room.ts';
import { MatrixError, notFound } from '../errors.ts';
import { isLocalUser, isValidUserId, serverName } from '../ids.ts';
import { roomInfo, roomMembers, users } from '../pstates.ts';
import { parseRequestBody } from '../request-schemas.ts';
import { createRoomCommand, submitRoomCommand } from '../rooms/operations.ts';
import type { UserDataCommand } from '../user-data/commands.ts';

/** The tag of a server notices room (Synapse's SERVER_NOTICE_ROOM_TAG). */
export const SERVER_NOTICE_TAG = 'm.server_notice';
/** The device the notices account sends from (it has no session: this only scopes its transaction ids). */
const NOTICES_DEVICE = 'SERVER_NOTICES';

/** The user's notices room: the same id for every notice to them. */
export function noticesRoomId(userId: string): string {
  return `!notices${createHash('sha256').update(userId).digest('base64url').slice(0, 24)}:${serverName()}`;
}

/** The notices account, registered (without a password: nobody logs in as it) the first time. */
async function ensureNoticesAccount(config: { userId: string; displayname: string }): Promise<void> {
  const existing = await users.key(config.userId).fields(['createdTs', 'displayname', 'passwordHash'], { consistent: true });
  // Someone registered the name first (it is an ordinary localpart): sending as them would make
  // them the creator of every notices room, able to read each notice, under an official name.
  if (existing?.passwordHash) {
    throw new MatrixError(400, 'M_UNKNOWN', `${config.userId} is a user's account, not the server notices account: set AXON_SERVER_NOTICES_USER to another localpart`);
  }
  if (existing?.createdTs === undefined) {
    try {
      await register({ username: config.userId.slice(1).split(':')[0]!, inhibitLogin: true, ip: '', reserved: true });
    } catch (e) {
      // Registered by a concurrent notice.
      if (!(e instanceof MatrixError && e.errcode === 'M_USER_IN_USE')) throw e;
    }
  }
  if (existing?.displayname !== config.displayname) await submitAccountCommand('account.profile', config.userId, { displayname: config.displayname });
}

/** Refusals that mean "someone else did it first": the room exists, the user is already invited. */
const alreadyDone = (e: unknown) => e instanceof MatrixError && (e.message === 'Room already exists' || e.errcode === 'M_FORBIDDEN');

/** The user's notices room, created (with the user invited and the room tagged for them) or re-entered. */
async function noticesRoom(notices: { userId: string; displayname: string }, userId: string): Promise<string> {
  const roomId = noticesRoomId(userId);
  const exists = (await roomInfo.key(roomId).get({ consistent: true }))?.version !== undefined;
  if (!exists) {
    const plan = planCreateRoom(
      { preset: 'private_chat', name: 'Server Notices', invite: [userId], power_level_content_override: { users_default: -10 } },
      { roomId, creator: notices.userId, profile: { displayname: notices.displayname } },
    );
    // A room version whose ids hash the create event could not keep the derived id.
    if (plan.roomId !== roomId) throw new Error(`the notices room must keep its derived id (room version ${plan.roomVersion})`);
    try {
      await submitRoomCommand(createRoomCommand(plan, notices.userId));
    } catch (e) {
      if (!alreadyDone(e)) throw e;
    }
  } else {
    const membership = (await roomMembers.key(roomId).key(userId).get({ consistent: true }))?.membership;
    if (membership !== 'join' && membership !== 'invite') {
      try {
        await submitRoomCommand({ kind: 'membership', roomId, action: 'invite', sender: notices.userId, target: userId });
      } catch (e) {
        if (!alreadyDone(e)) throw e;
      }
    }
  }
  // Idempotent: setting the tag again changes nothing.
  const tag: UserDataCommand = { kind: 'userData.tag', userId, roomId, tag: SERVER_NOTICE_TAG, content: {} };
  await submit('users', userId, tag);
  return roomId;
}

const noticeRequest = z.looseObject({
  user_id: z.string(),
  content: z.record(z.string(), z.unknown()),
  type: z.string().min(1).max(255).optional(),
  state_key: z.string().max(255).optional(),
});

/**
 * POST /v1/send_server_notice, PUT /v1/send_server_notice/{txnId}: the notice's event id. With a
 * txnId, a retry answers the same event (the send's transaction id is the admin's and theirs).
 */
export async function sendServerNotice(adminId: string, body: unknown, txnId?: string): Promise<{ event_id: string }> {
  const request = parseRequestBody(noticeRequest, body);
  const notices = serverNoticesConfig();
  if (!notices) throw new MatrixError(400, 'M_UNKNOWN', 'Server notices are not enabled on this server');
  if (!isValidUserId(request.user_id) || !isLocalUser(request.user_id)) throw new MatrixError(400, 'M_UNKNOWN', 'Server notices can only be sent to local users');
  if ((await users.key(request.user_id).field('createdTs').get()) === undefined) throw notFound('User not found');
  await ensureNoticesAccount(notices);
  const roomId = await noticesRoom(notices, request.user_id);
  const result = await submitRoomCommand({
    kind: 'send',
    roomId,
    sender: notices.userId,
    deviceId: NOTICES_DEVICE,
    type: request.type ?? 'm.room.message',
    ...(request.state_key !== undefined ? { stateKey: request.state_key } : {}),
    content: request.content as Record<string, never>,
    txnId: txnId !== undefined ? `${adminId}/${txnId}` : randomBytes(12).toString('base64url'),
  });
  if (!result.eventId) throw new MatrixError(500, 'M_UNKNOWN', 'No event was written');
  return { event_id: result.eventId };
}
