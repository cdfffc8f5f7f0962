// Account data (global and per room) and room tags: GET/PUT /user/{userId}/account_data/{type},
// GET/PUT /user/{userId}/rooms/{roomId}/account_data/{type}, GET /user/{userId}/rooms/{roomId}/tags,
// PUT/DELETE /user/{userId}/rooms/{roomId}/tags/{tag}. Writes go through the users depot.
import { json } from '../../lib/http/operation.ts';
import { notFound } from '../../lib/matrix/errors.ts';
import { anyObject } from '../../lib/matrix/request-schemas.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';
import { requireOwn } from '../../lib/matrix/user-data/access.ts';
import { changeAccountData, changeTag, readAccountData, requireRoomId, tagContent, TAG_TYPE, tagsOf } from '../../lib/matrix/user-data/account-data.ts';

const global = { auth: 'user', params: ['userId', 'type'] } as const;
const perRoom = { auth: 'user', params: ['userId', 'roomId', 'type'] } as const;
const tag = { auth: 'user', params: ['userId', 'roomId', 'tag'] } as const;

async function getAccountData(userId: string, type: string, roomId?: string) {
  if (roomId !== undefined) requireRoomId(roomId);
  const content = await readAccountData(userId, roomId, type);
  if (content === undefined) throw notFound('Account data not found.');
  return json(content);
}

export const handler = matrixFunction('accountData', {
  setAccountData: operation({ ...global, body: anyObject }, async ({ requester, params: { userId, type }, body }) => {
    requireOwn(requester, userId, 'account data');
    await changeAccountData(userId, undefined, type, body);
    return json({});
  }),
  getAccountData: operation(global, async ({ requester, params: { userId, type } }) => {
    requireOwn(requester, userId, 'account data');
    return getAccountData(userId, type);
  }),
  setAccountDataPerRoom: operation({ ...perRoom, body: anyObject }, async ({ requester, params: { userId, roomId, type }, body }) => {
    requireOwn(requester, userId, 'account data');
    await changeAccountData(userId, requireRoomId(roomId), type, body);
    return json({});
  }),
  getAccountDataPerRoom: operation(perRoom, async ({ requester, params: { userId, roomId, type } }) => {
    requireOwn(requester, userId, 'account data');
    return getAccountData(userId, type, roomId);
  }),
  getRoomTags: operation({ auth: 'user', params: ['userId', 'roomId'] }, async ({ requester, params: { userId, roomId } }) => {
    requireOwn(requester, userId, 'tags');
    requireRoomId(roomId);
    return json({ tags: tagsOf(await readAccountData(userId, roomId, TAG_TYPE)) });
  }),
  setRoomTag: operation({ ...tag, body: tagContent }, async ({ requester, params: { userId, roomId, tag }, body }) => {
    requireOwn(requester, userId, 'tags');
    await changeTag(userId, roomId, tag, body);
    return json({});
  }),
  deleteRoomTag: operation(tag, async ({ requester, params: { userId, roomId, tag } }) => {
    requireOwn(requester, userId, 'tags');
    await changeTag(userId, roomId, tag, null);
    return json({});
  }),
});
