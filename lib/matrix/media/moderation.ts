// The users topology's side of media commands (commands.ts): quarantine, release, deletion. Only
// entries of the command's uploader change (the partition orders exactly those). A deletion first
// deletes the bytes and thumbnails its entries name, then commits the entries' removal with its
// outcome: the admin's answer comes when the bytes are gone, and a crash in between leaves entries
// whose bytes are gone (served as 404 like deleted media) until the redelivery removes them.
import { blobStore } from '../../core/blobs.ts';
import { getMany, type WriteOp } from '../../core/pstate/index.ts';
import { media, uploaderMedia } from '../pstates.ts';
import type { MediaCommand } from './commands.ts';
import { thumbnailsKeyOf } from './repository.ts';

/** What a quarantine command changed, or what a deletion removed. */
export type MediaCommandValue = { changed: number } | { deleted: string[] };

/** The command's media that exist and are its uploader's. */
async function ownMedia(c: MediaCommand) {
  const entries = await getMany(
    c.mediaIds.map((id) => media.key(id)),
    { consistent: true },
  );
  return c.mediaIds.flatMap((mediaId, i) => {
    const entry = entries[i];
    return entry?.uploader === c.userId ? [{ mediaId, entry }] : [];
  });
}

export async function planMediaCommand(c: MediaCommand): Promise<{ ops: WriteOp[]; value: MediaCommandValue }> {
  const own = await ownMedia(c);
  const ops: WriteOp[] = [];
  if (c.kind === 'media.quarantine') {
    let changed = 0;
    for (const { mediaId, entry } of own) {
      const field = media.key(mediaId).field('quarantinedBy');
      // Protected media is passed by (Synapse's safe_from_quarantine); releasing it is not.
      if (c.quarantinedBy !== null && entry.quarantinedBy === undefined && entry.safeFromQuarantine !== true) ops.push(field.set(c.quarantinedBy));
      else if (c.quarantinedBy === null && entry.quarantinedBy !== undefined) ops.push(field.remove());
      else continue;
      changed++;
    }
    return { ops, value: { changed } };
  }
  if (c.kind === 'media.protect') {
    let changed = 0;
    for (const { mediaId, entry } of own) {
      if (c.safe === (entry.safeFromQuarantine === true)) continue;
      const field = media.key(mediaId).field('safeFromQuarantine');
      ops.push(c.safe ? field.set(true) : field.remove());
      changed++;
    }
    return { ops, value: { changed } };
  }
  for (const { mediaId } of own) ops.push(media.key(mediaId).remove(), uploaderMedia.key(c.userId).key(mediaId).remove());
  return { ops, value: { deleted: own.map((o) => o.mediaId) } };
}

/** Before a deletion's commit: the bytes and thumbnails of its media. Idempotent (a redelivery finds them gone, or finds no entries). */
export async function deleteMediaBlobs(c: MediaCommand & { kind: 'media.delete' }): Promise<void> {
  const keys = (await ownMedia(c)).flatMap((o) => (o.entry.blobKey ? [o.entry.blobKey] : []));
  const store = blobStore();
  await Promise.all(keys.flatMap((key) => [store.delete(key), store.delete(thumbnailsKeyOf(key))]));
}
