// Account data as stored in the accountData PState: one entry per (room or global, type), so sync
// and the GET routes read the same keys. Room tags live in the room's `m.tag` entry, as Synapse
// stores them, so sync delivers them with the rest of the room account data.
import { z } from 'zod';
import { submit } from '../commands.ts';
import { invalidParam, MatrixError } from '../errors.ts';
import { isValidRoomId } from '../ids.ts';
import { accountData } from '../pstates.ts';
import type { UserDataCommand } from './commands.ts';
import { assertWithinLimit } from './limits.ts';

export const TAG_TYPE = 'm.tag';

/** `<room id or empty>\u0000<type>`: global entries sort first, a room's entries together. */
export function accountDataKey(roomId: string | undefined, type: string): string {
  return `${roomId ?? ''}\u0000${type}`;
}

export function parseAccountDataKey(key: string): { roomId?: string; type: string } {
  const i = key.indexOf('\u0000');
  const roomId = key.slice(0, i);
  return { ...(roomId ? { roomId } : {}), type: key.slice(i + 1) };
}

/**
 * Types the server maintains itself (spec: 405 M_BAD_JSON "controlled by the server"):
 * read markers go through /read_markers, push rules through /pushrules.
 */
const SERVER_CONTROLLED = new Set(['m.fully_read', 'm.push_rules']);

export function assertClientWritable(type: string): void {
  if (SERVER_CONTROLLED.has(type)) throw new MatrixError(405, 'M_BAD_JSON', `Cannot set ${type} through this API.`);
}

export function requireRoomId(roomId: string): string {
  if (!isValidRoomId(roomId)) throw invalidParam(`${roomId} is not a valid room ID`);
  return roomId;
}

export async function readAccountData(userId: string, roomId: string | undefined, type: string, consistent = false) {
  return accountData.key(userId).key(accountDataKey(roomId, type)).get({ consistent });
}

/** The `tags` map of a room's m.tag content (an absent or malformed entry has none). */
export function tagsOf(content: Record<string, unknown> | undefined): Record<string, Record<string, unknown>> {
  const tags = content?.tags;
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return {};
  return tags as Record<string, Record<string, unknown>>;
}

/** The spec's Tag: `order`, when given, is a number in [0, 1]; other keys are kept. */
export const tagContent = z.looseObject({ order: z.number().optional() });

/** PUT account data (a room's when `roomId` is given): a type clients may write, content within the limit. */
export async function changeAccountData(userId: string, roomId: string | undefined, type: string, content: Record<string, unknown>): Promise<void> {
  assertClientWritable(type);
  assertWithinLimit(content, 'Account data');
  const command: UserDataCommand = { kind: 'userData.accountData', userId, ...(roomId !== undefined ? { roomId } : {}), type, content };
  await submit('users', userId, command);
}

/** PUT (content) or DELETE (null) a room tag. */
export async function changeTag(userId: string, roomId: string, tag: string, content: Record<string, unknown> | null): Promise<void> {
  if (content !== null) assertWithinLimit(content, 'A tag');
  requireRoomId(roomId);
  const command: UserDataCommand = { kind: 'userData.tag', userId, roomId, tag, content };
  await submit('users', userId, command);
}
