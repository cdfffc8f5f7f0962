// Account data (global and per room) and room tags: GET/PUT /user/{userId}/account_data/{type},
// GET/PUT /user/{userId}/rooms/{roomId}/account_data/{type}, GET /user/{userId}/rooms/{roomId}/tags,
// PUT/DELETE /user/{userId}/rooms/{roomId}/tags/{tag}. Writes go through the users depot.
import { z } from 'zod';
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json, type HttpRequest } from '../../lib/http/operation.ts';
import { submit } from '../../lib/matrix/commands.ts';
import { notFound } from '../../lib/matrix/errors.ts';
import { parseRequestBody } from '../../lib/matrix/request-schemas.ts';
import { authenticateAs } from '../../lib/matrix/user-data/access.ts';
import { assertClientWritable, readAccountData, requireRoomId, TAG_TYPE, tagsOf } from '../../lib/matrix/user-data/account-data.ts';
import type { UserDataCommand } from '../../lib/matrix/user-data/commands.ts';
import { assertWithinLimit } from '../../lib/matrix/user-data/limits.ts';

const anyObject = z.record(z.string(), z.unknown());
/** The spec's Tag: `order`, when given, is a number in [0, 1]; other keys are kept. */
const tagContent = z.looseObject({ order: z.number().optional() });

async function putAccountData(request: HttpRequest, roomId?: string) {
  const { userId, type } = request.pathParameters as { userId: string; type: string };
  await authenticateAs(request, userId, 'account data');
  if (roomId !== undefined) requireRoomId(roomId);
  assertClientWritable(type);
  const content = parseRequestBody(anyObject, request.body);
  assertWithinLimit(content, 'Account data');
  const command: UserDataCommand = { kind: 'userData.accountData', userId, ...(roomId !== undefined ? { roomId } : {}), type, content };
  await submit('users', userId, command);
  return json({});
}

async function getAccountData(request: HttpRequest, roomId?: string) {
  const { userId, type } = request.pathParameters as { userId: string; type: string };
  await authenticateAs(request, userId, 'account data');
  if (roomId !== undefined) requireRoomId(roomId);
  const content = await readAccountData(userId, roomId, type);
  if (content === undefined) throw notFound('Account data not found.');
  return json(content);
}

async function changeTag(request: HttpRequest, content: Record<string, unknown> | null) {
  const { userId, roomId, tag } = request.pathParameters as { userId: string; roomId: string; tag: string };
  requireRoomId(roomId);
  const command: UserDataCommand = { kind: 'userData.tag', userId, roomId, tag, content };
  await submit('users', userId, command);
  return json({});
}

export const handler = httpFunction(axon, 'accountData', {
  setAccountData: (request) => putAccountData(request),
  getAccountData: (request) => getAccountData(request),
  setAccountDataPerRoom: (request) => putAccountData(request, request.pathParameters.roomId),
  getAccountDataPerRoom: (request) => getAccountData(request, request.pathParameters.roomId),
  getRoomTags: async (request) => {
    const { userId, roomId } = request.pathParameters as { userId: string; roomId: string };
    await authenticateAs(request, userId, 'tags');
    requireRoomId(roomId);
    return json({ tags: tagsOf(await readAccountData(userId, roomId, TAG_TYPE)) });
  },
  setRoomTag: async (request) => {
    await authenticateAs(request, request.pathParameters.userId!, 'tags');
    const content = parseRequestBody(tagContent, request.body);
    assertWithinLimit(content, 'A tag');
    return changeTag(request, content);
  },
  deleteRoomTag: async (request) => {
    await authenticateAs(request, request.pathParameters.userId!, 'tags');
    return changeTag(request, null);
  },
});
