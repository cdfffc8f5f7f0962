// Room reads: joined rooms, members, state, one event, event context. Every read of a room goes
// through viewRoom (membership and history visibility), then queries PStates.
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json, type HttpRequest } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { invalidParam } from '../../lib/matrix/errors.ts';
import { stateAddress } from '../../lib/matrix/path-parameters.ts';
import { viewRoom } from '../../lib/matrix/timeline/access.ts';
import { eventContext, eventView, parseContextQuery, roomEvent } from '../../lib/matrix/timeline/context.ts';
import { clientEvents } from '../../lib/matrix/timeline/format.ts';
import { joinedMembers, joinedRooms, parseMembersQuery, roomMemberEvents, visibleState, visibleStateEvent } from '../../lib/matrix/timeline/room-state.ts';

async function viewerOf(request: HttpRequest) {
  const requester = await authenticate(request);
  const view = await viewRoom(request.pathParameters.roomId!, requester.userId);
  return { requester, view };
}

export const handler = matrixFunction('roomReads', {
  getJoinedRooms: async (request) => {
    const { userId } = await authenticate(request);
    return json({ joined_rooms: await joinedRooms(userId) });
  },
  getMembersByRoom: async (request) => {
    const query = parseMembersQuery(request.query);
    const { requester, view } = await viewerOf(request);
    return json({ chunk: clientEvents(await roomMemberEvents(view, query), requester) });
  },
  getJoinedMembersByRoom: async (request) => {
    const { view } = await viewerOf(request);
    return json({ joined: await joinedMembers(view) });
  },
  getRoomState: async (request) => {
    const { requester, view } = await viewerOf(request);
    return json(clientEvents(await visibleState(view), requester));
  },
  getRoomStateWithKey: async (request) => {
    const format = request.query.get('format') ?? 'content';
    if (format !== 'content' && format !== 'event') throw invalidParam('format must be "content" or "event"');
    const { eventType, stateKey } = stateAddress(request.pathParameters);
    const { requester, view } = await viewerOf(request);
    const event = await visibleStateEvent(view, eventType, stateKey);
    return json(format === 'event' ? clientEvents([event], requester)[0] : event.content);
  },
  getOneRoomEvent: async (request) => {
    const requester = await authenticate(request);
    const view = await eventView(request.pathParameters.roomId!, requester.userId);
    return json(await roomEvent(view, requester, request.pathParameters.eventId!));
  },
  getEventContext: async (request) => {
    const query = parseContextQuery(request.query);
    const { requester, view } = await viewerOf(request);
    return json(await eventContext(view, requester, request.pathParameters.eventId!, query));
  },
});
