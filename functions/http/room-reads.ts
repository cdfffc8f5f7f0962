// Room reads: joined rooms, members, state, one event, event context. Every read of a room goes
// through viewRoom (membership and history visibility), then queries PStates.
import { json } from '../../lib/http/operation.ts';
import { invalidParam } from '../../lib/matrix/errors.ts';
import { stateAddress } from '../../lib/matrix/path-parameters.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import { viewRoom } from '../../lib/matrix/timeline/access.ts';
import { eventContext, eventView, parseContextQuery, roomEvent } from '../../lib/matrix/timeline/context.ts';
import { clientEvents } from '../../lib/matrix/timeline/format.ts';
import { joinedMembers, joinedRooms, parseMembersQuery, roomMemberEvents, visibleState, visibleStateEvent } from '../../lib/matrix/timeline/room-state.ts';

const room = { auth: 'user', params: ['roomId'] } as const;
const event = { auth: 'user', params: ['roomId', 'eventId'] } as const;

export const handler = matrixFunction('roomReads', {
  getJoinedRooms: operation({ auth: 'user' }, async ({ requester }) => json({ joined_rooms: await joinedRooms(requester.userId) })),
  getMembersByRoom: operation(room, async ({ requester, params, request }) => {
    const query = parseMembersQuery(request.query);
    const view = await viewRoom(params.roomId, requester.userId);
    return json({ chunk: clientEvents(await roomMemberEvents(view, query), requester) });
  }),
  getJoinedMembersByRoom: operation(room, async ({ requester, params }) => json({ joined: await joinedMembers(await viewRoom(params.roomId, requester.userId)) })),
  getRoomState: operation(room, async ({ requester, params }) => json(clientEvents(await visibleState(await viewRoom(params.roomId, requester.userId)), requester))),
  getRoomStateWithKey: operation(room, async ({ requester, params, request }) => {
    const format = request.query.get('format') ?? 'content';
    if (format !== 'content' && format !== 'event') throw invalidParam('format must be "content" or "event"');
    const { eventType, stateKey } = stateAddress(request.pathParameters);
    const event = await visibleStateEvent(await viewRoom(params.roomId, requester.userId), eventType, stateKey);
    return json(format === 'event' ? clientEvents([event], requester)[0] : event.content);
  }),
  getOneRoomEvent: operation(event, async ({ requester, params }) => json(await roomEvent(await eventView(params.roomId, requester.userId), requester, params.eventId))),
  getEventContext: operation(event, async ({ requester, params, request }) => {
    const query = parseContextQuery(request.query);
    const view = await viewRoom(params.roomId, requester.userId);
    return json(await eventContext(view, requester, params.eventId, query));
  }),
});
