// The room directory: aliases, a room's visibility, and the published room list. Its writes are
// rooms-depot commands (`directory.*`) applied by the rooms topology (applyDirectoryCommand).
import type { ModuleFragment } from '../../core/module.ts';
import { depots } from '../depots.ts';
import { accessTokens, publicRooms, roomAliases, roomInfo, roomLocalAliases, roomState } from '../pstates.ts';

const v3 = '/_matrix/client/v3';

export const directoryRoutes = {
  functions: {
    directory: {
      entry: 'functions/http/directory.ts',
      description: 'Room aliases and directory visibility',
      access: {
        reads: [accessTokens, roomAliases, roomLocalAliases, roomInfo, roomState, publicRooms],
        appends: [depots.rooms],
      },
    },
    publicRooms: {
      entry: 'functions/http/public-rooms.ts',
      description: 'The published room directory',
      access: { reads: [accessTokens, publicRooms, roomInfo, roomState] },
    },
  },
  routes: [
    { method: 'GET', path: `${v3}/directory/room/{roomAlias}`, function: 'directory', operation: 'getRoomIdByAlias' },
    { method: 'PUT', path: `${v3}/directory/room/{roomAlias}`, function: 'directory', operation: 'setRoomAlias' },
    { method: 'DELETE', path: `${v3}/directory/room/{roomAlias}`, function: 'directory', operation: 'deleteRoomAlias' },
    { method: 'GET', path: `${v3}/rooms/{roomId}/aliases`, function: 'directory', operation: 'getLocalAliases' },
    { method: 'GET', path: `${v3}/directory/list/room/{roomId}`, function: 'directory', operation: 'getRoomVisibilityOnDirectory' },
    { method: 'PUT', path: `${v3}/directory/list/room/{roomId}`, function: 'directory', operation: 'setRoomVisibilityOnDirectory' },
    { method: 'GET', path: `${v3}/publicRooms`, function: 'publicRooms', operation: 'getPublicRooms' },
    { method: 'POST', path: `${v3}/publicRooms`, function: 'publicRooms', operation: 'queryPublicRooms' },
  ],
} satisfies ModuleFragment;
