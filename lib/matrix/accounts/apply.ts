// The users topology's decisions: each command, read against the user's current state, becomes
// PState writes (or a refusal). Reads are consistent: the topology is the only writer of these
// PStates and applies a user's commands in order, so what it reads is what the next write sees.
import type { WriteOp } from '../../core/pstate/index.ts';
import { MatrixError, forbidden, notFound, unknownToken, userInUse } from '../errors.ts';
import { removedDevicesPushers } from '../notifications/pushers.ts';
import { accessTokens, devices, listBucket, localUsers, users, type RatelimitOverride } from '../pstates.ts';
import { planMediaCommand } from '../media/moderation.ts';
import { planTokenCommand } from '../registration-tokens/apply.ts';
import { useToken } from '../registration-tokens/tokens.ts';
import { MAX_DEVICES_PER_USER, type UsersTopologyCommand, type AccountCommand, type AccountCommandOf, type NewSession } from './commands.ts';

export interface AccountPlan {
  ops: WriteOp[];
  value: Record<string, unknown>;
}

const consistent = { consistent: true } as const;

/** A device's tokens, by hash: its access token and the refresh tokens still valid for it. */
interface DeviceTokens {
  tokenHash?: string;
  refreshHash?: string;
  previousRefreshHash?: string;
}

/** Every device of a user with its tokens' hashes (≤ MAX_DEVICES_PER_USER, kept so at login). */
export async function userDevices(userId: string): Promise<Map<string, DeviceTokens>> {
  const stored = await devices.key(userId).entries(consistent);
  return new Map(stored.map(([deviceId, d]) => [deviceId, { tokenHash: d.tokenHash, refreshHash: d.refreshHash, previousRefreshHash: d.previousRefreshHash }]));
}

// A device's refresh tokens are fields of its item: they go with it (logout, deletion).
function removeDevice(userId: string, deviceId: string, tokens: DeviceTokens | undefined): WriteOp[] {
  const ops = [devices.key(userId).key(deviceId).remove()];
  if (tokens?.tokenHash) ops.push(accessTokens.key(tokens.tokenHash).remove());
  return ops;
}

async function activeUser(userId: string) {
  const user = await users.key(userId).get(consistent);
  if (!user?.createdTs) throw notFound('Unknown user');
  if (user.deactivated) throw new MatrixError(403, 'M_USER_DEACTIVATED', 'This account has been deactivated');
  return user;
}

/** What a user's access tokens carry of their moderation. */
interface Moderation {
  locked?: boolean;
  shadowBanned?: boolean;
  ratelimit?: RatelimitOverride;
}

/** A new access token of a device, carrying the user's moderation (and its expiry when it comes with a refresh token). */
function accessTokenOp(userId: string, deviceId: string, tokenHash: string, ts: number, moderation: Moderation, expiresTs?: number): WriteOp {
  const token = {
    userId,
    deviceId,
    createdTs: ts,
    locked: moderation.locked === true,
    shadowBanned: moderation.shadowBanned === true,
    ratelimit: moderation.ratelimit ?? null,
    expiresTs: expiresTs ?? 0,
  };
  return accessTokens.key(tokenHash).set(token, { ifAbsent: true });
}

async function sessionOps(userId: string, session: NewSession, ts: number, existing?: Map<string, DeviceTokens>, moderation: Moderation = {}): Promise<WriteOp[]> {
  const known = existing ?? (await userDevices(userId));
  const ops: WriteOp[] = [accessTokenOp(userId, session.deviceId, session.tokenHash, ts, moderation, session.refreshHash !== undefined ? session.expiresTs : undefined)];
  const device = devices.key(userId).key(session.deviceId);
  if (known.has(session.deviceId)) {
    // Logging in again with a known device id: the device keeps its name, its old tokens die.
    const old = known.get(session.deviceId);
    if (old?.tokenHash && old.tokenHash !== session.tokenHash) ops.push(accessTokens.key(old.tokenHash).remove());
    ops.push(device.field('previousRefreshHash').set(''), device.field('refreshHash').set(session.refreshHash ?? ''));
    ops.push(device.field('tokenHash').set(session.tokenHash), device.field('lastSeenTs').set(ts), device.field('lastSeenIp').set(session.ip));
    if (session.displayName !== undefined) ops.push(device.field('displayName').set(session.displayName));
    return ops;
  }
  if (known.size >= MAX_DEVICES_PER_USER) throw forbidden(`Too many devices (${MAX_DEVICES_PER_USER}); log out of one first`);
  ops.push(
    device.set(
      {
        displayName: session.displayName ?? '',
        createdTs: ts,
        lastSeenTs: ts,
        lastSeenIp: session.ip,
        tokenHash: session.tokenHash,
        refreshHash: session.refreshHash ?? '',
        previousRefreshHash: '',
      },
      { ifAbsent: true },
    ),
  );
  return ops;
}

/**
 * A refresh: the device's current refresh token gives a new pair and becomes the previous one (the
 * one before it dies: it was used); its previous one, still valid while the current one is unused
 * (the client lost the answer), gives a new pair that replaces the current one. The device's access
 * token is replaced either way. Any other refresh token is unknown: used, or of a gone device.
 */
async function refresh(c: AccountCommandOf<'account.refresh'>): Promise<AccountPlan> {
  const device = await devices.key(c.userId).key(c.deviceId).get(consistent);
  // Gone, or this very refresh applied already (a redelivery: applyOnce answers with its recorded outcome).
  if (!device?.createdTs || device.tokenHash === c.tokenHash) throw unknownToken();
  // Stored hashes are never empty, nor is the command's: '' (a device without refresh tokens) matches nothing.
  const isCurrent = device.refreshHash === c.refreshHash;
  if (!isCurrent && device.previousRefreshHash !== c.refreshHash) throw unknownToken();
  const user = await activeUser(c.userId);
  const entry = devices.key(c.userId).key(c.deviceId);
  const ops: WriteOp[] = [
    accessTokenOp(c.userId, c.deviceId, c.tokenHash, c.ts, user, c.expiresTs),
    entry.field('tokenHash').set(c.tokenHash),
    entry.field('refreshHash').set(c.newRefreshHash),
    entry.field('lastSeenTs').set(c.ts),
  ];
  if (device.tokenHash && device.tokenHash !== c.tokenHash) ops.push(accessTokens.key(device.tokenHash).remove());
  // From the current one: it becomes the previous one, and the one before it dies (replaced).
  // From the previous one: it stays the previous one, and the current one dies (replaced).
  if (isCurrent) ops.push(entry.field('previousRefreshHash').set(c.refreshHash));
  return { ops, value: { deviceId: c.deviceId } };
}

async function register(c: AccountCommandOf<'account.register'>): Promise<AccountPlan> {
  const existing = await users.key(c.userId).get(consistent);
  // A deactivated account still holds its id: ids are never reused.
  if (existing?.createdTs !== undefined) throw userInUse();
  const user = users.key(c.userId);
  const ops: WriteOp[] = [
    user.field('createdTs').set(c.ts, { ifAbsent: true }),
    user.field('passwordHash').set(c.passwordHash),
    user.field('deactivated').set(false),
    user.field('admin').set(c.admin ?? false),
    user.field('displayname').set(c.displayname),
    localUsers.key(listBucket(c.userId)).add(c.userId),
  ];
  if (c.registrationToken !== undefined) ops.push(await useToken(c.registrationToken, c.ts));
  if (c.session) ops.push(...(await sessionOps(c.userId, c.session, c.ts, new Map())));
  return { ops, value: { userId: c.userId } };
}

async function login(c: AccountCommandOf<'account.login'>): Promise<AccountPlan> {
  const user = await activeUser(c.userId);
  // Its token there already: this very login, delivered again (a token's 256 random bits are no
  // other's). Refused, so applyOnce answers with the outcome recorded when it was applied; planned
  // again, the token's write would fail its ifAbsent and stop the user's lane.
  if ((await accessTokens.key(c.session.tokenHash).get(consistent))?.userId !== undefined) throw forbidden('This login was applied already');
  return { ops: await sessionOps(c.userId, c.session, c.ts, undefined, user), value: { deviceId: c.session.deviceId } };
}

/** Lock, shadow-ban, rate-limit override: on the account, and on each of its access tokens (≤ MAX_DEVICES_PER_USER). */
async function moderate(c: AccountCommandOf<'account.moderate'>): Promise<AccountPlan> {
  const existing = await users.key(c.userId).get(consistent);
  if (!existing?.createdTs) throw notFound('Unknown user');
  const user = users.key(c.userId);
  const ops: WriteOp[] = [];
  const tokens = [...(await userDevices(c.userId)).values()].map((d) => d.tokenHash).filter((h): h is string => h !== undefined).map((h) => accessTokens.key(h));
  for (const field of ['locked', 'shadowBanned'] as const) {
    const value = c[field];
    if (value === undefined) continue;
    ops.push(user.field(field).set(value), ...tokens.map((t) => t.field(field).set(value, { ifExists: true })));
  }
  if (c.ratelimit !== undefined) {
    ops.push(c.ratelimit === null ? user.field('ratelimit').remove() : user.field('ratelimit').set(c.ratelimit));
    ops.push(...tokens.map((t) => t.field('ratelimit').set(c.ratelimit ?? null, { ifExists: true })));
  }
  return { ops, value: {} };
}

async function removeDevices(c: AccountCommandOf<'account.removeDevices'>): Promise<AccountPlan> {
  const known = await userDevices(c.userId);
  const doomed = c.all ? [...known.keys()] : c.deviceIds.filter((d) => known.has(d));
  const ops = doomed.flatMap((d) => removeDevice(c.userId, d, known.get(d)));
  return { ops: [...ops, ...(await removedDevicesPushers(c.userId, new Set(doomed)))], value: { removed: doomed } };
}

async function changePassword(c: AccountCommandOf<'account.password'>): Promise<AccountPlan> {
  await activeUser(c.userId);
  const ops = [users.key(c.userId).field('passwordHash').set(c.passwordHash)];
  const removed: string[] = [];
  if (c.keepDeviceId !== undefined || c.logoutAll) {
    for (const [deviceId, tokens] of await userDevices(c.userId)) {
      if (deviceId === c.keepDeviceId) continue;
      ops.push(...removeDevice(c.userId, deviceId, tokens));
      removed.push(deviceId);
    }
  }
  ops.push(...(await removedDevicesPushers(c.userId, new Set(removed))));
  // `removed`: the keys topology then drops those devices' keys (lib/matrix/keys/removed-devices.ts).
  return { ops, value: { removed } };
}

async function deactivate(c: AccountCommandOf<'account.deactivate'>): Promise<AccountPlan> {
  const user = users.key(c.userId);
  const ops: WriteOp[] = [];
  if (c.erase) {
    const existing = await users.key(c.userId).get(consistent);
    if (!existing?.createdTs) throw notFound('Unknown user');
    ops.push(user.field('erased').set(true), user.field('displayname').remove(), user.field('avatarUrl').remove());
    if (existing.deactivated) return { ops, value: { removed: [] } };
  } else {
    await activeUser(c.userId);
  }
  ops.push(user.field('deactivated').set(true));
  const known = await userDevices(c.userId);
  for (const [deviceId, tokens] of known) ops.push(...removeDevice(c.userId, deviceId, tokens));
  ops.push(...(await removedDevicesPushers(c.userId, new Set(known.keys()))));
  return { ops, value: { removed: [...known.keys()] } };
}

async function setAdmin(c: AccountCommandOf<'account.setAdmin'>): Promise<AccountPlan> {
  const user = await users.key(c.userId).get(consistent);
  if (!user?.createdTs) throw notFound('Unknown user');
  return { ops: [users.key(c.userId).field('admin').set(c.admin)], value: {} };
}

async function updateDevice(c: AccountCommandOf<'account.updateDevice'>): Promise<AccountPlan> {
  const device = devices.key(c.userId).key(c.deviceId);
  if (!(await devices.key(c.userId).has(c.deviceId, consistent))) throw notFound('Unknown device');
  return { ops: [device.field('displayName').set(c.displayName, { ifExists: true })], value: {} };
}

async function setProfile(c: AccountCommandOf<'account.profile'>): Promise<AccountPlan> {
  await activeUser(c.userId);
  const user = users.key(c.userId);
  const ops: WriteOp[] = [];
  if (c.displayname !== undefined) ops.push(c.displayname === null ? user.field('displayname').remove() : user.field('displayname').set(c.displayname));
  if (c.avatarUrl !== undefined) ops.push(c.avatarUrl === null ? user.field('avatarUrl').remove() : user.field('avatarUrl').set(c.avatarUrl));
  return { ops, value: {} };
}

/** The writes a command makes, or a thrown MatrixError refusing it. */
export function planAccountCommand(command: AccountCommand): Promise<AccountPlan> {
  switch (command.kind) {
    case 'account.register':
      return register(command);
    case 'account.login':
      return login(command);
    case 'account.refresh':
      return refresh(command);
    case 'account.removeDevices':
      return removeDevices(command);
    case 'account.password':
      return changePassword(command);
    case 'account.deactivate':
      return deactivate(command);
    case 'account.updateDevice':
      return updateDevice(command);
    case 'account.profile':
      return setProfile(command);
    case 'account.setAdmin':
      return setAdmin(command);
    case 'account.moderate':
      return moderate(command);
  }
}

/** The users topology's plan for any of its commands (accounts, registration tokens, media). */
export function planUsersTopologyCommand(command: UsersTopologyCommand): Promise<{ ops: WriteOp[]; value: unknown }> {
  switch (command.kind) {
    case 'registrationToken.create':
    case 'registrationToken.update':
    case 'registrationToken.delete':
      return planTokenCommand(command);
    case 'media.quarantine':
    case 'media.protect':
    case 'media.delete':
      return planMediaCommand(command);
    default:
      return planAccountCommand(command);
  }
}
