// Synapse's media admin writes (docs/admin_api/media_admin_api.md): quarantine by id, of a room, of
// a user, and its release; deletion by id, of a user, by date and size. The checks Synapse makes
// come first, then media commands on the users depot, grouped by uploader and cut to
// MEDIA_PER_COMMAND each (lib/matrix/media/commands.ts), submitted together; the answer sums what
// the users topology reports it changed, so a repeated request changes (and counts) nothing twice.
import { AckTimeoutError } from '../../core/ack.ts';
import { COMMAND_TIMEOUT_MS, submitMany } from '../commands.ts';
import { MatrixError, notFound } from '../errors.ts';
import { isLocalUser, isValidUserId, serverName } from '../ids.ts';
import { MEDIA_PER_COMMAND, type MediaCommand } from '../media/commands.ts';
import type { MediaCommandValue } from '../media/moderation.ts';
import { listedIds, localRooms, localUsers, roomState, users } from '../pstates.ts';
import { PER_REQUEST_CONCURRENCY, inPool } from '../../core/concurrency.ts';
import { getMany } from '../../core/pstate/index.ts';
import { stateKeyOf } from '../room-state.ts';
import type { RoomEvent } from '../events.ts';
import { booleanParam, nonNegativeInteger } from './requests.ts';
import { mediaEntries, mediaInRoom, millisecondsParam, uploadedBy, userMediaToDelete } from './media.ts';

type Change = { kind: 'media.quarantine'; quarantinedBy: string | null } | { kind: 'media.protect'; safe: boolean } | { kind: 'media.delete' };

/** Submit `change` for these media (ids of entries that exist), per uploader; the values in order. */
async function changeMedia(change: Change, ids: readonly string[]): Promise<MediaCommandValue[]> {
  const byUploader = new Map<string, string[]>();
  for (const [mediaId, entry] of await mediaEntries([...new Set(ids)])) {
    const list = byUploader.get(entry.uploader!) ?? [];
    list.push(mediaId);
    byUploader.set(entry.uploader!, list);
  }
  const commands: { partitionKey: string; command: MediaCommand }[] = [];
  for (const [uploader, list] of byUploader) {
    for (let i = 0; i < list.length; i += MEDIA_PER_COMMAND) {
      commands.push({ partitionKey: uploader, command: { ...change, userId: uploader, ts: Date.now(), mediaIds: list.slice(i, i + MEDIA_PER_COMMAND) } });
    }
  }
  if (commands.length === 0) return [];
  const results = await submitMany<MediaCommandValue>('users', commands);
  // Every command must have been applied: one not answered within the wait (503, not yet applied)
  // or refused fails the request rather than counting as nothing changed.
  const values: MediaCommandValue[] = [];
  for (const r of results) {
    if (r === undefined) throw new AckTimeoutError('users', change.kind, COMMAND_TIMEOUT_MS);
    if (!r.ok) throw r.error;
    values.push(r.value);
  }
  return values;
}

async function quarantine(adminId: string | null, ids: readonly string[]): Promise<number> {
  const values = await changeMedia({ kind: 'media.quarantine', quarantinedBy: adminId }, ids);
  return values.reduce((n, v) => n + ('changed' in v ? v.changed : 0), 0);
}

async function remove(ids: readonly string[]): Promise<{ deleted_media: string[]; total: number }> {
  const deleted = (await changeMedia({ kind: 'media.delete' }, ids)).flatMap((v) => ('deleted' in v ? v.deleted : []));
  return { deleted_media: deleted, total: deleted.length };
}

/**
 * POST /v1/media/quarantine|unquarantine/{serverName}/{mediaId}: `{}` whether or not the media is
 * known (Synapse updates no row then). Axon caches no remote media: another server's is not here.
 */
export async function quarantineMediaById(adminId: string, server: string, mediaId: string, on: boolean) {
  if (server === serverName()) await quarantine(on ? adminId : null, [mediaId]);
  return {};
}

/** POST /v1/room/{roomId}/media/quarantine (and the legacy /v1/quarantine_media/{roomId}): ours only. */
export async function quarantineRoomMedia(adminId: string, roomId: string) {
  const { local } = await mediaInRoom(roomId);
  return { num_quarantined: await quarantine(adminId, local) };
}

/** POST /v1/user/{userId}/media/quarantine: every media the local user uploaded. */
export async function quarantineUserMedia(adminId: string, userId: string) {
  if (!isValidUserId(userId) || !isLocalUser(userId)) return { num_quarantined: 0 };
  return { num_quarantined: await quarantine(adminId, await uploadedBy(userId)) };
}

/** POST /v1/media/protect|unprotect/{mediaId}: a local media id; `{}` whether or not it is known (Synapse updates no row then). */
export async function protectMediaById(mediaId: string, safe: boolean) {
  await changeMedia({ kind: 'media.protect', safe }, [mediaId]);
  return {};
}

/** POST /v1/purge_media_cache?before_ts=: Axon caches no remote media, so there is never anything to purge. */
export function purgeMediaCache(query: URLSearchParams) {
  millisecondsParam(query, 'before_ts');
  return { deleted: 0 };
}

const notLocalMedia = () => new MatrixError(400, 'M_UNKNOWN', 'Can only delete local media');

/** DELETE /v1/media/{serverName}/{mediaId}. */
export async function deleteMediaById(server: string, mediaId: string) {
  if (server !== serverName()) throw notLocalMedia();
  if ((await mediaEntries([mediaId], true)).length === 0) throw notFound('Unknown media');
  const removed = await remove([mediaId]);
  // Gone before the deletion applied (a concurrent or earlier, retried request): as if asked after.
  if (removed.total === 0) throw notFound('Unknown media');
  return removed;
}

/** DELETE /v1/users/{userId}/media: the page the list would show (from, limit, order_by, dir). */
export async function deleteUserMedia(userId: string, query: URLSearchParams) {
  return remove(await userMediaToDelete(userId, query));
}

/** The mxc URIs profiles and rooms show: users' avatars and rooms' avatars (Synapse's keep_profiles). */
async function profileMedia(): Promise<Set<string>> {
  const [userIds, roomIds] = await Promise.all([listedIds(localUsers), listedIds(localRooms)]);
  const urls = new Set<string>();
  for (let i = 0; i < userIds.length; i += 100) {
    const records = await getMany(userIds.slice(i, i + 100).map((id) => users.key(id)));
    for (const r of records) if (r?.avatarUrl) urls.add(r.avatarUrl);
  }
  for (let i = 0; i < roomIds.length; i += 100) {
    const avatars = (await getMany(roomIds.slice(i, i + 100).map((id) => roomState.key(id).key(stateKeyOf('m.room.avatar', ''))))) as (RoomEvent | undefined)[];
    for (const event of avatars) if (typeof event?.content.url === 'string') urls.add(event.content.url);
  }
  return urls;
}

/**
 * POST /v1/media/delete?before_ts=&size_gt=&keep_profiles= (and the legacy
 * /v1/media/{serverName}/delete): local media uploaded before `before_ts` (Axon keeps no access
 * times, so "last used" is the upload), larger than `size_gt`, not quarantined, and unless
 * `keep_profiles=false` not an avatar of a user or room. Reads every local user's media index.
 */
export async function deleteOldMedia(query: URLSearchParams, legacyServer?: string) {
  const beforeTs = millisecondsParam(query, 'before_ts');
  const sizeGt = nonNegativeInteger(query, 'size_gt', 0);
  const keepProfiles = booleanParam(query, 'keep_profiles') ?? true;
  if (legacyServer !== undefined && legacyServer !== serverName()) throw notLocalMedia();
  const uploaders = await listedIds(localUsers);
  const ids = (await inPool(uploaders, PER_REQUEST_CONCURRENCY, uploadedBy)).flat();
  const kept = keepProfiles ? await profileMedia() : new Set<string>();
  const old = (await mediaEntries(ids)).filter(
    ([id, m]) => m.uploadedTs !== undefined && m.uploadedTs < beforeTs && (m.size ?? 0) > sizeGt && m.quarantinedBy === undefined && !kept.has(`mxc://${serverName()}/${id}`),
  );
  return remove(old.map(([id]) => id));
}
