// POST /user_directory/search and GET /thirdparty/protocols (no bridges here: `{}`).
import { json } from '../../lib/http/operation.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import { searchUsers, userSearchRequest } from '../../lib/matrix/user-directory/requests.ts';

export const handler = matrixFunction('userDirectory', {
  searchUserDirectory: operation({ auth: 'user', body: userSearchRequest }, async ({ requester, body }) => json(await searchUsers(requester.userId, body))),
  getProtocols: operation({ auth: 'user' }, () => json({})),
});
