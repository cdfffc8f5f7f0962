// The extensions of a sliding sync response, computed by the same code as /sync's sections for the
// same windows of the same streams: to_device and e2ee (lib/matrix/keys/sync.ts), account_data
// (lib/matrix/sync/account-data.ts), receipts and typing (lib/matrix/ephemeral/sync.ts). As in
// Synapse, room-scoped data covers the rooms of the lists' windows and the subscriptions that each
// extension's `lists`/`rooms` name (extension-scope.ts; by default all of them); a room new to the
// connection, or new to an extension's scope, gets its current receipts, typing and room account
// data rather than only what changed.
import type { JsonObject } from '../canonical-json.ts';
import { ephemeralForSync } from '../ephemeral/sync.ts';
import { keysForSync } from '../keys/sync.ts';
import { furthest } from '../sync/assemble.ts';
import { allAccountData, changedAccountData, roomAccountData, type AccountDataEvent } from '../sync/account-data.ts';
import type { Membership } from '../sync/cut.ts';
import type { SyncPosition } from '../sync/token.ts';
import type { Watermarks } from '../sync/watermark.ts';
import type { ScopedExtension } from './extension-scope.ts';
import type { ExtensionName } from './request.ts';

export interface Extensions {
  to_device?: { next_batch: string; events: JsonObject[] };
  e2ee?: {
    device_lists: { changed: string[]; left: string[] };
    device_one_time_keys_count?: Record<string, number>;
    device_unused_fallback_key_types?: string[];
  };
  account_data?: { global: AccountDataEvent[]; rooms: Record<string, AccountDataEvent[]> };
  receipts?: { rooms: Record<string, JsonObject> };
  typing?: { rooms: Record<string, JsonObject> };
}

export interface ExtensionsPass {
  extensions: Extensions;
  /** The streams' positions the next `pos` carries (unchanged for extensions that are off). */
  next: Pick<SyncPosition, 'accountData' | 'ephemeral' | 'keys' | 'toDevice'>;
  news: boolean;
}

export interface ExtensionsInput {
  userId: string;
  deviceId: string;
  enabled: ReadonlySet<ExtensionName>;
  since: SyncPosition | undefined;
  watermarks: Watermarks;
  /** All the user's memberships when the pass read them (else the e2ee extension reads them itself). */
  memberships?: readonly Membership[];
  /** Joined rooms in the windows and subscriptions; `fresh`: new to the connection. */
  rooms: readonly { roomId: string; fresh: boolean }[];
  /** The rooms of the windows and subscriptions each room-scoped extension covers (extension-scope.ts). */
  scope: Readonly<Record<ScopedExtension, ReadonlySet<string>>>;
  /** The rooms each one covered in the connection's previous response: the others get their current data. */
  covered: Readonly<Record<ScopedExtension, ReadonlySet<string>>>;
  toDeviceSince: string | undefined;
}

async function keysExtensions(input: ExtensionsInput, out: ExtensionsPass): Promise<void> {
  const { enabled, since } = input;
  if (!enabled.has('to_device') && !enabled.has('e2ee')) return;
  const keys = await keysForSync(input.userId, input.deviceId, since?.keys, input.toDeviceSince, since?.rooms, input.memberships, input.watermarks.keys);
  out.next.keys = keys.next;
  if (keys.nextToDevice !== undefined) out.next.toDevice = keys.nextToDevice;
  if (enabled.has('to_device')) {
    out.extensions.to_device = { next_batch: keys.nextToDevice ?? input.toDeviceSince ?? '', events: keys.section.to_device.events as JsonObject[] };
    if (keys.section.to_device.events.length) out.news = true;
  }
  if (enabled.has('e2ee')) {
    out.extensions.e2ee = { device_lists: keys.section.device_lists };
    if (keys.section.device_lists.changed.length || keys.section.device_lists.left.length) out.news = true;
  }
}

async function accountDataExtension(input: ExtensionsInput, out: ExtensionsPass): Promise<void> {
  if (!input.enabled.has('account_data')) return;
  const { userId, since } = input;
  const data = since ? await changedAccountData(userId, since.accountData, input.watermarks.userData) : await allAccountData(userId);
  const rooms: Record<string, AccountDataEvent[]> = {};
  await Promise.all(
    input.rooms.filter(({ roomId }) => input.scope.account_data.has(roomId)).map(async ({ roomId, fresh }) => {
      const current = fresh || !input.covered.account_data.has(roomId);
      const events = current && since ? await roomAccountData(userId, roomId) : (data.get(roomId) ?? []);
      if (events.length) rooms[roomId] = events;
    }),
  );
  const global = data.get('') ?? [];
  out.extensions.account_data = { global, rooms };
  out.next.accountData = furthest(since?.accountData ?? {}, input.watermarks.userData);
  if (global.length || Object.keys(rooms).length) out.news = true;
}

async function ephemeralExtensions(input: ExtensionsInput, out: ExtensionsPass): Promise<void> {
  const { enabled, since, userId } = input;
  if (!enabled.has('receipts') && !enabled.has('typing')) return;
  // The rooms either extension covers, read once; each then keeps its own.
  const covered = (roomId: string) => (enabled.has('receipts') && input.scope.receipts.has(roomId)) || (enabled.has('typing') && input.scope.typing.has(roomId));
  const scoped = input.rooms.filter((r) => covered(r.roomId));
  // New to an extension: the room is new to the connection, or the extension did not cover it before.
  const newTo = (ext: 'receipts' | 'typing', r: { roomId: string; fresh: boolean }) => r.fresh || !since || !input.covered[ext].has(r.roomId);
  const needsCurrent = (r: { roomId: string; fresh: boolean }) =>
    (enabled.has('receipts') && input.scope.receipts.has(r.roomId) && newTo('receipts', r)) || (enabled.has('typing') && input.scope.typing.has(r.roomId) && newTo('typing', r));
  const fresh = scoped.filter(needsCurrent).map((r) => r.roomId);
  const known = since ? scoped.filter((r) => !r.fresh).map((r) => r.roomId) : [];
  const isNew = { receipts: new Set(scoped.filter((r) => newTo('receipts', r)).map((r) => r.roomId)), typing: new Set(scoped.filter((r) => newTo('typing', r)).map((r) => r.roomId)) };
  const [changed, current] = await Promise.all([
    ephemeralForSync(userId, known, since?.ephemeral, input.watermarks, Date.now(), false),
    fresh.length ? ephemeralForSync(userId, fresh, undefined, input.watermarks, Date.now(), false) : undefined,
  ]);
  const receipts: Record<string, JsonObject> = {};
  const typing: Record<string, JsonObject> = {};
  // Each room's data from the read it needs: the current one for a room new to the extension, else what changed.
  for (const [rooms, fromCurrent] of [[changed.rooms, false], [current?.rooms ?? new Map(), true]] as const) {
    for (const [roomId, events] of rooms) {
      for (const event of events) {
        if (event.type === 'm.receipt' && input.scope.receipts.has(roomId) && isNew.receipts.has(roomId) === fromCurrent) receipts[roomId] = event as JsonObject;
        if (event.type === 'm.typing' && input.scope.typing.has(roomId) && isNew.typing.has(roomId) === fromCurrent) typing[roomId] = event as JsonObject;
      }
    }
  }
  out.next.ephemeral = changed.next;
  if (enabled.has('receipts')) {
    out.extensions.receipts = { rooms: receipts };
    if (Object.keys(receipts).length) out.news = true;
  }
  if (enabled.has('typing')) {
    out.extensions.typing = { rooms: typing };
    if (Object.keys(typing).length) out.news = true;
  }
}

export async function extensionsFor(input: ExtensionsInput): Promise<ExtensionsPass> {
  const since = input.since;
  const out: ExtensionsPass = {
    extensions: {},
    next: {
      accountData: since?.accountData ?? {},
      ...(since?.ephemeral ? { ephemeral: since.ephemeral } : {}),
      ...(since?.keys ? { keys: since.keys } : {}),
      ...(since?.toDevice ? { toDevice: since.toDevice } : {}),
    },
    news: false,
  };
  await Promise.all([keysExtensions(input, out), accountDataExtension(input, out), ephemeralExtensions(input, out)]);
  return out;
}
