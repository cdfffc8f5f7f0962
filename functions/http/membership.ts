// Membership: join and knock (by id or alias), leave, forget, invite, kick, ban, unban.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { actOnMember, forgetRoom, joinRoom, joinRoomById, knockRoom, leaveRoom } from '../../lib/matrix/rooms/operations.ts';

export const handler = httpFunction(axon, 'roomMembership', {
  joinRoom: async (request) => json(await joinRoom(request, request.pathParameters.roomIdOrAlias!)),
  joinRoomById: async (request) => json(await joinRoomById(request, request.pathParameters.roomId!)),
  knockRoom: async (request) => json(await knockRoom(request, request.pathParameters.roomIdOrAlias!)),
  leaveRoom: async (request) => json(await leaveRoom(request, request.pathParameters.roomId!)),
  forgetRoom: async (request) => json(await forgetRoom(request, request.pathParameters.roomId!)),
  inviteUser: async (request) => json(await actOnMember(request, request.pathParameters.roomId!, 'invite')),
  kick: async (request) => json(await actOnMember(request, request.pathParameters.roomId!, 'kick')),
  ban: async (request) => json(await actOnMember(request, request.pathParameters.roomId!, 'ban')),
  unban: async (request) => json(await actOnMember(request, request.pathParameters.roomId!, 'unban')),
});
