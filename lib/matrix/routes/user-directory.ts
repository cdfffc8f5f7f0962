// Finding people: the user directory, and the third-party protocol list (no bridges: empty).
import type { ModuleFragment } from '../../core/module.ts';
import { accessTokens, memberRooms, publicRooms, roomMembers, users } from '../pstates.ts';

const v3 = '/_matrix/client/v3';

export const userDirectoryRoutes = {
  functions: {
    userDirectory: {
      entry: 'functions/http/user-directory.ts',
      description: 'User directory search and the (empty) third-party protocol list',
      access: { reads: [accessTokens, memberRooms, publicRooms, roomMembers, users] },
    },
  },
  routes: [
    { method: 'POST', path: `${v3}/user_directory/search`, function: 'userDirectory', operation: 'searchUserDirectory' },
    { method: 'GET', path: `${v3}/thirdparty/protocols`, function: 'userDirectory', operation: 'getProtocols' },
  ],
} satisfies ModuleFragment;
