// Server-side key backup versions: POST /room_keys/version, GET /room_keys/version[/{version}].
import { z } from 'zod';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { readBackupVersion } from '../../lib/matrix/keys/backup.ts';
import type { KeysCommand } from '../../lib/matrix/keys/commands.ts';
import { axon } from '../../lib/matrix/module.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';

const createBody = z.object({ algorithm: z.string().min(1), auth_data: z.record(z.string(), z.unknown()) });

export const handler = httpFunction(axon, 'keyBackup', {
  postRoomKeysVersion: async (request) => {
    const { userId } = await authenticate(request);
    const body = parseRequestBody(createBody, request.body);
    const command: KeysCommand = { kind: 'keys.backupVersion', userId, algorithm: body.algorithm, authData: body.auth_data };
    return json(await submit<{ version: string }>('users', userId, command));
  },
  getRoomKeysVersionCurrent: async (request) => {
    const { userId } = await authenticate(request);
    return json(await readBackupVersion(userId));
  },
  getRoomKeysVersion: async (request) => {
    const { userId } = await authenticate(request);
    return json(await readBackupVersion(userId, request.pathParameters.version));
  },
});
