// Commands of the users depot that change media on an admin's word (Synapse's media admin API):
// quarantine and its undoing, and deletion. They are applied by the users topology in the
// uploader's order (partition key: the uploader), so a deletion and a quarantine of the same
// media never interleave. Uploads themselves write the media PState directly (see pstates.ts).
import { z } from 'zod';
import { id } from '../command-fields.ts';

/** A local media id (lib/matrix/media/repository.ts makes them; Synapse's are alike). */
export const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;
const mediaId = z.string().regex(MEDIA_ID);

/**
 * Media per command: a deletion removes two items per media (the entry, the uploader's index
 * entry) and commits them in one transaction with its outcome (at most 100 items).
 */
export const MEDIA_PER_COMMAND = 40;

const base = { userId: id, ts: z.number(), mediaIds: z.array(mediaId).min(1).max(MEDIA_PER_COMMAND) };

export const mediaCommand = z.discriminatedUnion('kind', [
  /** Quarantine (`quarantinedBy`: the admin) or release (null) media of the uploader `userId`. */
  z.object({ kind: z.literal('media.quarantine'), ...base, quarantinedBy: id.nullable() }),
  /** Protect media from quarantine (`safe`) or withdraw the protection. */
  z.object({ kind: z.literal('media.protect'), ...base, safe: z.boolean() }),
  /** Delete media of the uploader `userId`: its entry, then (after the commit) its bytes and thumbnails. */
  z.object({ kind: z.literal('media.delete'), ...base }),
]);
export type MediaCommand = z.infer<typeof mediaCommand>;

export const isMediaCommandKind = (kind: string | undefined): boolean => kind?.startsWith('media.') ?? false;
