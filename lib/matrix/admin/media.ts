// Synapse's "List media uploaded by a user" (docs/admin_api/user_admin_api.md), which synapse-admin
// shows on a user's page: the uploader's index (uploaderMedia, written with each media entry) and
// the entries, read in batches. Axon keeps no access times and quarantines nothing yet: those
// fields read null/false.
import { getMany } from '../../core/pstate/index.ts';
import { notFound } from '../errors.ts';
import { media, uploaderMedia, users } from '../pstates.ts';
import { choiceParam, localUserId, nonNegativeInteger, page } from './requests.ts';

const MEDIA_ORDERS = ['media_id', 'upload_name', 'created_ts', 'last_access_ts', 'media_length', 'media_type', 'quarantined_by', 'safe_from_quarantine'] as const;

/** GET /v1/users/{userId}/media: from, limit, order_by, dir; `next_token` (a number) and `total`. */
export async function listUserMedia(userId: string, query: URLSearchParams) {
  localUserId(userId);
  const from = nonNegativeInteger(query, 'from', 0);
  const limit = nonNegativeInteger(query, 'limit', 100);
  const orderBy = choiceParam(query, 'order_by', MEDIA_ORDERS, 'created_ts');
  const dir = choiceParam(query, 'dir', ['f', 'b'] as const, 'f');
  if ((await users.key(userId).field('createdTs').get()) === undefined) throw notFound('Unknown user');
  const ids = (await uploaderMedia.key(userId).entries({ limit: 1000 })).map(([mediaId]) => mediaId as string);
  const entries = [];
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100);
    const records = await getMany(batch.map((id) => media.key(id)));
    for (const [j, mediaId] of batch.entries()) {
      const m = records[j];
      // Only content that arrived: an id created and never uploaded is no media yet.
      if (m?.uploadedTs === undefined) continue;
      entries.push({
        media_id: mediaId,
        media_type: m.contentType ?? 'application/octet-stream',
        media_length: m.size ?? 0,
        upload_name: m.filename ?? null,
        created_ts: m.uploadedTs,
        last_access_ts: null,
        quarantined_by: null,
        safe_from_quarantine: false,
      });
    }
  }
  entries.sort((a, b) => {
    const x = a[orderBy];
    const y = b[orderBy];
    const c = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
    return c !== 0 ? c : a.media_id < b.media_id ? -1 : 1;
  });
  if (dir === 'b') entries.reverse();
  const { items, next } = page(entries, from, limit);
  return { media: items, total: entries.length, ...(next !== undefined ? { next_token: next } : {}) };
}
