import type { ModuleFragment } from '../../core/module.ts';
import { relationIndexPStates } from './relations.ts';
import { roomsTopologySyncAccess } from './sync.ts';
import { roomsTopologyPushAccess } from './websocket.ts';
import { roomsTopologyNotificationAccess } from './notifications.ts';
import { depots } from '../depots.ts';
import { accessTokens, blockedRooms, eventLocations, localRooms, memberRooms, membershipHistory, roomActivity, roomActivityBuilt, roomActivityMembers, publicRooms, rateLimits, roomAliases, roomDeletionIds, roomDeletions, roomInfo, roomLocalAliases, roomMembers, roomState, roomTimeline, transactionIds, users } from '../pstates.ts';

const v3 = '/_matrix/client/v3';
const roomPStates = [localRooms, roomAliases, roomLocalAliases, roomInfo, roomState, roomMembers, memberRooms, roomActivity, roomActivityMembers, roomTimeline, eventLocations, membershipHistory, transactionIds, publicRooms, blockedRooms, roomDeletions, roomDeletionIds];

export const roomsRoutes = {
  functions: {
    createRoom: {
      entry: 'functions/http/create-room.ts',
      description: 'POST /createRoom: plans the initial events, submits them to the rooms depot',
      access: { reads: [accessTokens, users, roomAliases, rateLimits], writes: [rateLimits], appends: [depots.rooms] },
    },
    roomMembership: {
      entry: 'functions/http/membership.ts',
      description: 'Join, knock, leave, forget, invite, kick, ban, unban through the rooms depot',
      access: { reads: [accessTokens, users, roomAliases, rateLimits], writes: [rateLimits], appends: [depots.rooms] },
    },
    roomUpgrade: {
      entry: 'functions/http/room-upgrade.ts',
      description: 'Upgrade a room: creates the replacement from its state, then tombstones it, through the rooms depot',
      access: { reads: [accessTokens, users, roomInfo, roomState, roomMembers, rateLimits], writes: [rateLimits], appends: [depots.rooms] },
    },
    roomEvents: {
      entry: 'functions/http/room-events.ts',
      description: 'Send messages, set state and redact through the rooms depot',
      // users: a member event set through /state is a membership command, whose target must exist and
      // whose profile fills the event (lib/matrix/rooms/operations.ts)
      access: { reads: [accessTokens, transactionIds, rateLimits, users], writes: [rateLimits], appends: [depots.rooms] },
    },
    roomsTopology: {
      entry: 'functions/streams/rooms.ts',
      description: 'Rooms topology: authorizes and materialises room events, exactly once, in order per room',
      access: {
        // Who uses sliding sync (their activity index is kept: lib/matrix/rooms/activity-index.ts).
        reads: [...roomPStates, roomActivityBuilt, ...relationIndexPStates, ...roomsTopologySyncAccess.reads, ...roomsTopologyPushAccess.reads, ...roomsTopologyNotificationAccess.reads],
        writes: [...roomPStates, ...relationIndexPStates, ...roomsTopologySyncAccess.writes, ...roomsTopologyPushAccess.writes, ...roomsTopologyNotificationAccess.writes],
        // A room deletion's next steps (lib/matrix/rooms/deletion.ts).
        appends: [depots.rooms],
        pushes: true,
        notifies: roomsTopologySyncAccess.notifies,
      },
      timeoutSeconds: 60,
    },
  },
  routes: [
    { method: 'POST', path: `${v3}/createRoom`, function: 'createRoom', operation: 'createRoom' },
    { method: 'POST', path: `${v3}/join/{roomIdOrAlias}`, function: 'roomMembership', operation: 'joinRoom' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/join`, function: 'roomMembership', operation: 'joinRoomById' },
    { method: 'POST', path: `${v3}/knock/{roomIdOrAlias}`, function: 'roomMembership', operation: 'knockRoom' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/leave`, function: 'roomMembership', operation: 'leaveRoom' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/forget`, function: 'roomMembership', operation: 'forgetRoom' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/invite`, function: 'roomMembership', operation: 'inviteUser' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/kick`, function: 'roomMembership', operation: 'kick' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/ban`, function: 'roomMembership', operation: 'ban' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/unban`, function: 'roomMembership', operation: 'unban' },
    { method: 'POST', path: `${v3}/rooms/{roomId}/upgrade`, function: 'roomUpgrade', operation: 'upgradeRoom' },
    { method: 'PUT', path: `${v3}/rooms/{roomId}/send/{eventType}/{txnId}`, function: 'roomEvents', operation: 'sendMessage' },
    { method: 'PUT', path: `${v3}/rooms/{roomId}/state/{eventType}/{stateKey}`, function: 'roomEvents', operation: 'setRoomStateWithKey' },
    // The empty state key, as `/state/{eventType}` or `/state/{eventType}/` (matrix-js-sdk), and
    // state keys holding `/` (a %2F is a separator once API Gateway decodes the path).
    { method: 'PUT', path: `${v3}/rooms/{roomId}/state/{statePath+}`, function: 'roomEvents', operation: 'setRoomStateWithKey' },
    { method: 'PUT', path: `${v3}/rooms/{roomId}/redact/{eventId}/{txnId}`, function: 'roomEvents', operation: 'redactEvent' },
  ],
  topologies: [
    { name: 'rooms', kind: 'stream', depot: 'rooms', function: 'roomsTopology', batchSize: 100, batchingWindowMs: 0, maxRetries: 10, parallelization: 10, consumer: 'enhanced' },
  ],
} satisfies ModuleFragment;
