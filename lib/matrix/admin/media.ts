// Synapse's media admin reads (docs/admin_api/media_admin_api.md, user_admin_api.md): a user's
// media (the uploader's index, uploaderMedia, written with each media entry, and the entries read
// in batches), one media item, and the media a room's events point at. Axon keeps no access
// times: `last_access_ts` reads null, and "last used" is when it was uploaded.
import { getMany } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { MatrixError, invalidParam, notFound } from '../errors.ts';
import { isValidRoomId, serverName } from '../ids.ts';
import { media, roomTimeline, uploaderMedia, users, type TimelineEntry } from '../pstates.ts';
import { choiceParam, localUserId, nonNegativeInteger, page } from './requests.ts';

const MEDIA_ORDERS = ['media_id', 'upload_name', 'created_ts', 'last_access_ts', 'media_length', 'media_type', 'quarantined_by', 'safe_from_quarantine'] as const;

type StoredMedia = NonNullable<Awaited<ReturnType<ReturnType<typeof media.key>['get']>>>;

/** A media item as the user media list answers it. */
function listEntry(mediaId: string, m: StoredMedia) {
  return {
    media_id: mediaId,
    media_type: m.contentType ?? 'application/octet-stream',
    media_length: m.size ?? 0,
    upload_name: m.filename ?? null,
    created_ts: m.uploadedTs ?? m.createdTs ?? 0,
    last_access_ts: null,
    quarantined_by: m.quarantinedBy ?? null,
    safe_from_quarantine: m.safeFromQuarantine === true,
  };
}
type MediaEntry = ReturnType<typeof listEntry>;

/** Media entries by id, read in batches of 100 (absent ones left out); `consistent` reads what was just written. */
export async function mediaEntries(ids: readonly string[], consistent = false): Promise<[string, StoredMedia][]> {
  const out: [string, StoredMedia][] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100);
    const records = await getMany(batch.map((id) => media.key(id)), { consistent });
    batch.forEach((id, j) => {
      const record = records[j];
      if (record?.uploader !== undefined) out.push([id, record]);
    });
  }
  return out;
}

/** Every media id a user uploaded (or created), from the uploader's index. */
export async function uploadedBy(userId: string): Promise<string[]> {
  return (await uploaderMedia.key(userId).entries({ limit: 1000 })).map(([mediaId]) => mediaId as string);
}

/**
 * A local user's uploaded media in the order asked (from, limit, order_by, dir): Synapse's list
 * and its delete share it. Without order_by and dir, newest first (Synapse's default).
 */
async function userMediaPage(userId: string, query: URLSearchParams): Promise<{ items: MediaEntry[]; total: number; next?: number }> {
  localUserId(userId);
  const from = nonNegativeInteger(query, 'from', 0);
  const limit = nonNegativeInteger(query, 'limit', 100);
  const defaultOrder = !query.has('order_by') && !query.has('dir');
  const orderBy = choiceParam(query, 'order_by', MEDIA_ORDERS, 'created_ts');
  const dir = defaultOrder ? 'b' : choiceParam(query, 'dir', ['f', 'b'] as const, 'f');
  if ((await users.key(userId).field('createdTs').get()) === undefined) throw notFound('Unknown user');
  // Only content that arrived: an id created and never uploaded is no media yet.
  const entries = (await mediaEntries(await uploadedBy(userId))).filter(([, m]) => m.uploadedTs !== undefined).map(([id, m]) => listEntry(id, m));
  entries.sort((a, b) => {
    const x = a[orderBy];
    const y = b[orderBy];
    const c = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
    return c !== 0 ? c : a.media_id < b.media_id ? -1 : 1;
  });
  if (dir === 'b') entries.reverse();
  return { ...page(entries, from, limit), total: entries.length };
}

/** GET /v1/users/{userId}/media: `next_token` (a number) and `total`. */
export async function listUserMedia(userId: string, query: URLSearchParams) {
  const { items, total, next } = await userMediaPage(userId, query);
  return { media: items, total, ...(next !== undefined ? { next_token: next } : {}) };
}

/** The ids of the page DELETE /v1/users/{userId}/media deletes (the list's parameters). */
export async function userMediaToDelete(userId: string, query: URLSearchParams): Promise<string[]> {
  return (await userMediaPage(userId, query)).items.map((m) => m.media_id);
}

/** GET /v1/media/{serverName}/{mediaId}: Axon caches no remote media, so only local ids are known. */
export async function queryMedia(server: string, mediaId: string) {
  const [found] = server === serverName() ? await mediaEntries([mediaId]) : [];
  if (!found) throw notFound('Unknown media');
  const [, m] = found;
  return {
    media_info: {
      media_origin: null,
      user_id: m.uploader ?? null,
      media_id: mediaId,
      media_type: m.contentType ?? null,
      media_length: m.size ?? null,
      upload_name: m.filename ?? null,
      created_ts: m.uploadedTs ?? m.createdTs ?? 0,
      filesystem_id: null,
      url_cache: null,
      last_access_ts: null,
      quarantined_by: m.quarantinedBy ?? null,
      authenticated: true,
      safe_from_quarantine: m.safeFromQuarantine === true,
      sha256: null,
    },
  };
}

/** Synapse's MXC_REGEX: a server name and a media id. */
const MXC = /^mxc:\/\/([^/]+)\/([^/#?]+)/;

export function legalRoomId(roomId: string): string {
  if (!isValidRoomId(roomId)) throw new MatrixError(400, 'M_UNKNOWN', `${roomId} is not a legal room ID`);
  return roomId;
}

/**
 * The media a room's events point at (`content.url`, `content.info.thumbnail_url`), newest first,
 * split into ours and other servers' as Synapse does. Encrypted events hide theirs, and so does
 * redaction. Reads the whole timeline page by page: an admin's occasional cost.
 */
export async function mediaInRoom(roomId: string): Promise<{ local: string[]; remote: [string, string][] }> {
  legalRoomId(roomId);
  const local: string[] = [];
  const remote: [string, string][] = [];
  const ours = serverName();
  let cursor: string | undefined;
  do {
    const batch = await roomTimeline.key(roomId).range({ reverse: true, limit: 200, consistent: true, ...(cursor ? { cursor } : {}) });
    for (const [, value] of batch.entries) {
      const content = ((value as TimelineEntry).event as RoomEvent).content;
      const info = content.info;
      const thumbnail = typeof info === 'object' && info !== null && !Array.isArray(info) ? (info as Record<string, unknown>).thumbnail_url : undefined;
      for (const url of [content.url, thumbnail]) {
        const match = typeof url === 'string' ? MXC.exec(url) : null;
        if (!match) continue;
        if (match[1] === ours) local.push(match[2]!);
        else remote.push([match[1]!, match[2]!]);
      }
    }
    cursor = batch.cursor;
  } while (cursor);
  return { local, remote };
}

/** GET /v1/room/{roomId}/media. */
export async function listRoomMedia(roomId: string) {
  const { local, remote } = await mediaInRoom(roomId);
  return { local: local.map((id) => `mxc://${serverName()}/${id}`), remote: remote.map(([server, id]) => `mxc://${server}/${id}`) };
}

/** A query parameter Synapse requires as an integer (parse_integer with required=True). */
export function requiredInteger(query: URLSearchParams, name: string): number {
  if (!query.has(name)) throw new MatrixError(400, 'M_MISSING_PARAM', `Missing integer query parameter ${JSON.stringify(name)}`);
  return nonNegativeInteger(query, name, 0);
}

/** Synapse refuses timestamps before December 1970 in milliseconds: they are likely seconds. */
export function millisecondsParam(query: URLSearchParams, name: string): number {
  const ts = requiredInteger(query, name);
  if (ts < 30_000_000_000) throw invalidParam(`Query parameter ${name} you provided is from the year 1970. Double check that you are providing a timestamp in milliseconds.`);
  return ts;
}
