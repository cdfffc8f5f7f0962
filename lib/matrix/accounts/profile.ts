// Profiles: display name and avatar URL, stored on the user's account. Other profile fields
// (m.tz, custom keys) are not kept by Axon: setting them is refused as the spec allows (403).
import { forbidden, invalidParam, MatrixError, notFound } from '../errors.ts';
import { isValidUserId } from '../ids.ts';
import { users } from '../pstates.ts';
import { submitAccountCommand } from './account.ts';
import { MAX_AVATAR_URL_LENGTH, MAX_DISPLAYNAME_LENGTH } from './commands.ts';
import { limitProfileChanges } from './rate-limits.ts';

export type ProfileField = 'displayname' | 'avatar_url';
export { MAX_AVATAR_URL_LENGTH, MAX_DISPLAYNAME_LENGTH } from './commands.ts';

/** The spec's grammar of profile keys (path parameter `keyName`). */
const keyNamePattern = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;

export interface Profile {
  displayname?: string;
  avatar_url?: string;
}

function checkUserId(userId: string): void {
  if (!isValidUserId(userId)) throw invalidParam('Invalid user id');
}

export async function getProfile(userId: string): Promise<Profile> {
  checkUserId(userId);
  const user = await users.key(userId).fields(['createdTs', 'displayname', 'avatarUrl']);
  if (user?.createdTs === undefined) throw notFound('Profile was not found');
  return {
    ...(user.displayname !== undefined ? { displayname: user.displayname } : {}),
    ...(user.avatarUrl !== undefined ? { avatar_url: user.avatarUrl } : {}),
  };
}

/** The field a key names: M_INVALID_PARAM for a malformed key, undefined for keys not kept. */
export function profileField(keyName: string): ProfileField | undefined {
  if (!keyNamePattern.test(keyName)) throw invalidParam('Invalid profile key');
  return keyName === 'displayname' || keyName === 'avatar_url' ? keyName : undefined;
}

/** The field a write may change: only the user's own, only the fields Axon keeps. */
export function writableField(requesterId: string, userId: string, keyName: string): ProfileField {
  checkUserId(userId);
  const field = profileField(keyName);
  if (requesterId !== userId) throw forbidden("Cannot change another user's profile");
  if (!field) throw forbidden(`Profile field ${keyName} is not supported`);
  return field;
}

/** A new value for a field from a PUT body; null or "" clears it. */
export function profileValue(field: ProfileField, body: Record<string, unknown>): string | null {
  if (!(field in body)) throw new MatrixError(400, 'M_MISSING_PARAM', `Missing parameter: ${field}`);
  const value = body[field];
  if (value === null || value === '') return null;
  if (typeof value !== 'string') throw new MatrixError(400, 'M_BAD_JSON', `${field} must be a string`);
  if (field === 'displayname' && value.length > MAX_DISPLAYNAME_LENGTH) throw invalidParam(`displayname may not be longer than ${MAX_DISPLAYNAME_LENGTH} characters`);
  // Any string, as Synapse takes it by default (clients and bridges set http(s) avatars); only its length is capped.
  if (field === 'avatar_url' && value.length > MAX_AVATAR_URL_LENGTH) throw invalidParam('avatar_url too long');
  return value;
}

/** Sets (or, with null, clears) a field of `userId`'s profile, within the profile-change budget. */
export async function setProfileField(userId: string, field: ProfileField, value: string | null) {
  await limitProfileChanges(userId);
  return submitAccountCommand('account.profile', userId, field === 'displayname' ? { displayname: value } : { avatarUrl: value });
}
