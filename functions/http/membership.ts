// Membership: join and knock (by id or alias), leave, forget, invite, kick, ban, unban.
import { json } from '../../lib/http/operation.ts';
import type { MembershipAction } from '../../lib/matrix/membership.ts';
import { actOnMember, forgetRoom, joinRoom, joinRoomById, knockRoom, leaveRoom } from '../../lib/matrix/rooms/operations.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

const inRoom = { auth: 'user', params: ['roomId'] } as const;
const byIdOrAlias = { auth: 'user', params: ['roomIdOrAlias'] } as const;
const onMember = (action: Exclude<MembershipAction, 'join' | 'knock' | 'leave'>) =>
  operation(inRoom, async ({ requester, params, body }) => json(await actOnMember(requester, body, params.roomId, action)));

export const handler = matrixFunction('roomMembership', {
  joinRoom: operation(byIdOrAlias, async ({ requester, params, body }) => json(await joinRoom(requester, body, params.roomIdOrAlias))),
  joinRoomById: operation(inRoom, async ({ requester, params, body }) => json(await joinRoomById(requester, body, params.roomId))),
  knockRoom: operation(byIdOrAlias, async ({ requester, params, body }) => json(await knockRoom(requester, body, params.roomIdOrAlias))),
  leaveRoom: operation(inRoom, async ({ requester, params, body }) => json(await leaveRoom(requester, body, params.roomId))),
  forgetRoom: operation(inRoom, async ({ requester, params }) => json(await forgetRoom(requester, params.roomId))),
  inviteUser: onMember('invite'),
  kick: onMember('kick'),
  ban: onMember('ban'),
  unban: onMember('unban'),
});
