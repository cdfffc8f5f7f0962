import type { ModuleFragment } from '../../core/module.ts';
import { relationIndexPStates } from './relations.ts';
import { accessTokens, eventLocations, memberRooms, membershipHistory, roomInfo, roomMembers, roomState, roomTimeline } from '../pstates.ts';

const v3 = '/_matrix/client/v3';
/** What every room read touches: who is asking, the room, the user's membership and its history. */
const viewing = [accessTokens, roomInfo, memberRooms, membershipHistory, roomState];
// Events are served with their bundled aggregations (threads, edits), read from the relation indexes.
const timeline = [roomTimeline, eventLocations, ...relationIndexPStates];

export const roomReadsRoutes = {
  functions: {
    roomReads: {
      entry: 'functions/http/room-reads.ts',
      description: 'Room reads: state, members, joined rooms, one event, event context (history visibility applied)',
      access: { reads: [...viewing, ...timeline, roomMembers] },
    },
    roomMessages: {
      entry: 'functions/http/messages.ts',
      description: 'GET /rooms/{roomId}/messages: timeline pagination with filters and lazy-loaded members',
      access: { reads: [...viewing, ...timeline] },
    },
  },
  routes: [
    { method: 'GET', path: `${v3}/joined_rooms`, function: 'roomReads', operation: 'getJoinedRooms' },
    { method: 'GET', path: `${v3}/rooms/{roomId}/members`, function: 'roomReads', operation: 'getMembersByRoom' },
    { method: 'GET', path: `${v3}/rooms/{roomId}/joined_members`, function: 'roomReads', operation: 'getJoinedMembersByRoom' },
    { method: 'GET', path: `${v3}/rooms/{roomId}/state`, function: 'roomReads', operation: 'getRoomState' },
    { method: 'GET', path: `${v3}/rooms/{roomId}/state/{eventType}/{stateKey}`, function: 'roomReads', operation: 'getRoomStateWithKey' },
    // The empty state key as `/state/{eventType}` or `/state/{eventType}/` (matrix-js-sdk), and state
    // keys holding `/` (a %2F is a separator once API Gateway decodes the path); as PUT in rooms.ts.
    { method: 'GET', path: `${v3}/rooms/{roomId}/state/{statePath+}`, function: 'roomReads', operation: 'getRoomStateWithKey' },
    { method: 'GET', path: `${v3}/rooms/{roomId}/event/{eventId}`, function: 'roomReads', operation: 'getOneRoomEvent' },
    { method: 'GET', path: `${v3}/rooms/{roomId}/context/{eventId}`, function: 'roomReads', operation: 'getEventContext' },
    { method: 'GET', path: `${v3}/rooms/{roomId}/messages`, function: 'roomMessages', operation: 'getRoomEvents' },
  ],
} satisfies ModuleFragment;
