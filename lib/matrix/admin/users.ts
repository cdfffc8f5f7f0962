// Synapse's user admin API (docs/admin_api/user_admin_api.md), the part admin tools use: list and
// query accounts, create or modify one, its devices and joined rooms, deactivate (with erase),
// reset a password, the admin flag. Every change is a command on the users depot, applied by the
// users topology as the user's own changes are. Axon keeps no guests, 3PIDs bound by admins,
// external ids, user types or suspensions: those fields read false/null/[]. Locks and shadow bans
// are kept (lib/matrix/admin/moderation.ts).
import { listPushers } from '../notifications/pushers.ts';
import { z } from 'zod';
import { submitAccountCommand } from '../accounts/account.ts';
import { MAX_AVATAR_URL_LENGTH, MAX_DISPLAYNAME_LENGTH, MAX_PASSWORD_LENGTH } from '../accounts/commands.ts';
import { roomsWithMembership } from '../accounts/room-updates.ts';
import { register } from '../accounts/sessions.ts';
import { getMany } from '../../core/pstate/index.ts';
import { MatrixError, invalidParam, notFound } from '../errors.ts';
import { parseUserId } from '../ids.ts';
import { hashPassword } from '../passwords.ts';
import { devices, listedIds, localUsers, users } from '../pstates.ts';
import { parseRequestBody } from '../request-schemas.ts';
import { booleanParam, localUserId, nonNegativeInteger, page } from './requests.ts';

type StoredUser = NonNullable<Awaited<ReturnType<ReturnType<typeof users.key>['get']>>>;

function listEntry(userId: string, user: StoredUser) {
  return {
    name: userId,
    is_guest: false,
    user_type: null,
    shadow_banned: user.shadowBanned === true,
    locked: user.locked === true,
    admin: user.admin === true,
    deactivated: user.deactivated === true,
    erased: user.erased === true,
    displayname: user.displayname ?? null,
    avatar_url: user.avatarUrl ?? null,
    // In milliseconds here, in seconds in the query of one user: as Synapse answers.
    creation_ts: user.createdTs ?? 0,
  };
}

async function lastSeen(userId: string): Promise<number | null> {
  const all = await devices.key(userId).entries();
  const seen = all.map(([, d]) => d.lastSeenTs ?? 0).filter((ts) => ts > 0);
  return seen.length ? Math.max(...seen) : null;
}

export async function existingUser(userId: string): Promise<StoredUser> {
  const user = await users.key(userId).get({ consistent: true });
  if (user?.createdTs === undefined) throw notFound('User not found');
  return user;
}

/** GET /v2/users/{userId}. */
export async function queryUser(userId: string) {
  localUserId(userId);
  const user = await existingUser(userId);
  return {
    ...listEntry(userId, user),
    creation_ts: Math.floor((user.createdTs ?? 0) / 1000),
    threepids: [],
    last_seen_ts: await lastSeen(userId),
    appservice_id: null,
    consent_server_notice_sent: null,
    consent_version: null,
    consent_ts: null,
    external_ids: [],
    suspended: false,
  };
}

/** Reading every account is the admin list's cost: ids from every bucket of the list, records in batches. */
async function allUsers(): Promise<[string, StoredUser][]> {
  const ids = await listedIds(localUsers);
  const out: [string, StoredUser][] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100);
    const records = await getMany(batch.map((id) => users.key(id)));
    batch.forEach((id, j) => {
      const record = records[j];
      if (record?.createdTs !== undefined) out.push([id, record]);
    });
  }
  return out;
}

const USER_ORDERS = ['name', 'is_guest', 'admin', 'user_type', 'deactivated', 'shadow_banned', 'displayname', 'avatar_url', 'creation_ts', 'last_seen_ts'] as const;

/** GET /v2/users: from, limit, name / user_id, guests, admins, deactivated, order_by, dir. */
export async function listUsers(query: URLSearchParams) {
  const from = nonNegativeInteger(query, 'from', 0);
  const limit = nonNegativeInteger(query, 'limit', 100);
  const deactivated = booleanParam(query, 'deactivated') ?? false;
  const admins = booleanParam(query, 'admins');
  booleanParam(query, 'guests'); // Axon has no guests: either value lists the same accounts.
  booleanParam(query, 'locked');
  const orderBy = query.get('order_by') ?? 'name';
  if (!(USER_ORDERS as readonly string[]).includes(orderBy)) throw invalidParam(`Unknown value for order_by: ${orderBy}`);
  const dir = query.get('dir') ?? 'f';
  if (dir !== 'f' && dir !== 'b') throw invalidParam('Unknown direction: dir must be f or b');
  const name = query.get('name');
  const idPart = name === null ? query.get('user_id') : null;

  let entries = (await allUsers()).map(([id, user]) => listEntry(id, user));
  entries = entries.filter((u) => (deactivated || !u.deactivated) && (admins === undefined || u.admin === admins));
  if (name !== null) {
    const needle = name.toLowerCase();
    entries = entries.filter((u) => parseUserId(u.name)!.localpart.toLowerCase().includes(needle) || (u.displayname ?? '').toLowerCase().includes(needle));
  } else if (idPart !== null) {
    entries = entries.filter((u) => u.name.includes(idPart));
  }
  const key = orderBy === 'name' || orderBy === 'last_seen_ts' ? 'name' : orderBy;
  entries.sort((a, b) => {
    const x = (a as Record<string, unknown>)[key];
    const y = (b as Record<string, unknown>)[key];
    const c = x === y ? 0 : x === null || x === undefined ? -1 : y === null || y === undefined ? 1 : x < y ? -1 : 1;
    return c !== 0 ? c : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  if (dir === 'b') entries.reverse();
  const { items, next } = page(entries, from, limit);
  return { users: items, total: entries.length, ...(next !== undefined ? { next_token: String(next) } : {}) };
}

/** GET /v2/users/{userId}/devices. */
export async function listDevices(userId: string) {
  localUserId(userId);
  await existingUser(userId);
  const all = await devices.key(userId).entries();
  return {
    devices: all.map(([deviceId, d]) => ({
      device_id: deviceId,
      ...(d.displayName ? { display_name: d.displayName } : {}),
      last_seen_ip: d.lastSeenIp ?? null,
      last_seen_user_agent: null,
      last_seen_ts: d.lastSeenTs ?? null,
      user_id: userId,
      dehydrated: false,
    })),
    total: all.length,
  };
}

/** GET /v1/users/{userId}/joined_rooms. */
export async function joinedRooms(userId: string) {
  localUserId(userId);
  const rooms = await roomsWithMembership(userId, ['join']);
  return { joined_rooms: rooms, total: rooms.length };
}

/** GET /v1/users/{userId}/pushers: the user's pushers as the client API lists them, and their count. */
export async function userPushers(userId: string) {
  await existingUser(localUserId(userId));
  const list = await listPushers(userId);
  return { pushers: list, total: list.length };
}

const deactivateRequest = z.looseObject({ erase: z.boolean().optional() });

/** POST /v1/deactivate/{userId}: leaves every room, kills every token; `erase` drops the profile too. */
export async function deactivateUser(userId: string, body: unknown) {
  localUserId(userId, 'deactivate');
  const { erase } = parseRequestBody(deactivateRequest, body ?? {});
  const user = await existingUser(userId);
  if (!user.deactivated || (erase && !user.erased)) await submitAccountCommand('account.deactivate', userId, erase ? { erase: true } : {});
  return { id_server_unbind_result: 'success' };
}

const resetPasswordRequest = z.looseObject({ new_password: z.string(), logout_devices: z.boolean().optional() });

function checkPassword(password: string): void {
  if (password.length > MAX_PASSWORD_LENGTH) throw invalidParam(`Password may not be longer than ${MAX_PASSWORD_LENGTH} characters`);
}

/** POST /v1/reset_password/{userId}: a new password, every device logged out unless asked not to. */
export async function resetPassword(userId: string, body: unknown) {
  localUserId(userId, 'reset the password of');
  const request = parseRequestBody(resetPasswordRequest, body);
  checkPassword(request.new_password);
  await existingUser(userId);
  const passwordHash = await hashPassword(request.new_password);
  await submitAccountCommand('account.password', userId, { passwordHash, ...(request.logout_devices !== false ? { logoutAll: true } : {}) });
  return {};
}

/** GET /v1/users/{userId}/admin. */
export async function getAdmin(userId: string) {
  localUserId(userId, 'get the admin status of');
  const user = await existingUser(userId);
  return { admin: user.admin === true };
}

const adminRequest = z.looseObject({ admin: z.boolean() });

/** PUT /v1/users/{userId}/admin: an admin cannot demote themselves (Synapse). */
export async function setAdmin(requesterId: string, userId: string, body: unknown) {
  localUserId(userId, 'set the admin status of');
  const { admin } = parseRequestBody(adminRequest, body);
  if (userId === requesterId && !admin) throw new MatrixError(400, 'M_UNKNOWN', 'You may only demote yourself through other admins');
  await existingUser(userId);
  await submitAccountCommand('account.setAdmin', userId, { admin });
  return {};
}

const putUserRequest = z.looseObject({
  password: z.string().nullable().optional(),
  logout_devices: z.boolean().optional(),
  displayname: z.string().nullable().optional(),
  avatar_url: z.string().nullable().optional(),
  admin: z.boolean().optional(),
  deactivated: z.boolean().optional(),
  threepids: z.array(z.unknown()).optional(),
  external_ids: z.array(z.unknown()).optional(),
  user_type: z.string().nullable().optional(),
  locked: z.boolean().optional(),
});

/**
 * PUT /v2/users/{userId}: create the account (201) or change it (200), then answer it as GET does.
 * Each change is its own users-depot command, applied in order; what Axon does not keep (3PIDs,
 * external ids, user types) is refused rather than silently dropped, unless it asks for nothing.
 */
export async function putUser(requesterId: string, userId: string, body: unknown, ip: string) {
  localUserId(userId, 'create or modify');
  const b = parseRequestBody(putUserRequest, body);
  if (b.threepids?.length || b.external_ids?.length) throw invalidParam('Axon keeps no third-party or external ids for admins to set');
  if (b.user_type !== undefined && b.user_type !== null) throw invalidParam('Invalid user type');
  if (typeof b.password === 'string') checkPassword(b.password);
  if (b.displayname && b.displayname.length > MAX_DISPLAYNAME_LENGTH) throw invalidParam(`displayname may be at most ${MAX_DISPLAYNAME_LENGTH} characters`);
  if (b.avatar_url && (b.avatar_url.length > MAX_AVATAR_URL_LENGTH || !b.avatar_url.startsWith('mxc://'))) throw invalidParam('avatar_url must be an MXC URI');
  if (userId === requesterId && b.admin === false) throw new MatrixError(400, 'M_UNKNOWN', 'You may only demote yourself through other admins');

  const existing = await users.key(userId).get({ consistent: true });
  const created = existing?.createdTs === undefined;
  if (created) {
    if (b.deactivated === true) throw invalidParam('Cannot create a deactivated account');
    const localpart = parseUserId(userId)!.localpart;
    await register({ username: localpart, ...(typeof b.password === 'string' ? { password: b.password } : {}), inhibitLogin: true, ip, admin: b.admin === true });
  } else {
    if (existing.deactivated && b.deactivated === false) throw invalidParam('Axon cannot reactivate accounts');
    if (b.password !== undefined && b.password !== null) {
      await submitAccountCommand('account.password', userId, { passwordHash: await hashPassword(b.password), ...(b.logout_devices !== false ? { logoutAll: true } : {}) });
    }
    if (b.admin !== undefined && b.admin !== existing.admin) await submitAccountCommand('account.setAdmin', userId, { admin: b.admin });
  }
  // A lock (Synapse: `locked`): every request of the user answers 401 M_USER_LOCKED until unlocked.
  if (b.locked !== undefined && b.locked !== (existing?.locked === true)) await submitAccountCommand('account.moderate', userId, { locked: b.locked });
  const profile: { displayname?: string | null; avatarUrl?: string | null } = {};
  // An empty string removes the field (Synapse).
  if (b.displayname !== undefined) profile.displayname = b.displayname ? b.displayname : null;
  if (b.avatar_url !== undefined) profile.avatarUrl = b.avatar_url ? b.avatar_url : null;
  if (Object.keys(profile).length > 0 && !(existing?.deactivated && b.deactivated !== false)) await submitAccountCommand('account.profile', userId, profile);
  if (!created && b.deactivated === true && !existing.deactivated) await submitAccountCommand('account.deactivate', userId, {});
  return { status: created ? 201 : 200, body: await queryUser(userId) };
}
