// The content repository: media ids, their metadata (the `media` PState) and their bytes (the
// blob store). An upload writes its bytes under a key of its own before the metadata names them,
// so a racing second upload to a created id never replaces the bytes of the one that won.
import { randomBytes } from 'node:crypto';
import { blobStore } from '../../core/blobs.ts';
import { commit, isConditionFailed } from '../../core/pstate/index.ts';
import { MatrixError, forbidden, notFound } from '../errors.ts';
import { serverName } from '../ids.ts';
import { media, uploaderMedia } from '../pstates.ts';
import { MEDIA_ID } from './commands.ts';
import { assertUploadSize } from './limits.ts';

/** How long a `POST /create`d id waits for its content (the spec's `unused_expires_at`). */
export const UNUSED_MEDIA_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface MediaInfo {
  contentType: string;
  filename?: string;
  size: number;
  blobKey: string;
}

export interface Upload {
  body: Buffer;
  contentType?: string;
  filename?: string;
}

const newMediaId = () => randomBytes(18).toString('base64url');
const blobKeyOf = (mediaId: string) => `media/${mediaId}/${randomBytes(6).toString('hex')}`;
export const mxcUri = (mediaId: string) => `mxc://${serverName()}/${mediaId}`;
/** Where a blob's thumbnails are kept: beside it under a prefix of their own (a blob key is never also a "directory"). */
export const thumbnailsKeyOf = (blobKey: string) => `thumbnails/${blobKey}`;

/** A media id is ours and well-formed; otherwise it is unknown here (no federation). */
export function localMediaId(server: string, mediaId: string): string | undefined {
  return server === serverName() && MEDIA_ID.test(mediaId) ? mediaId : undefined;
}

/** The writes recording uploaded content; `uploadedTs` is written once (its condition fails a second upload). */
function contentOps(mediaId: string, upload: Upload, blobKey: string, now: number) {
  const entry = media.key(mediaId);
  return [
    entry.field('uploadedTs').set(now, { ifAbsent: true }),
    entry.field('contentType').set(upload.contentType || 'application/octet-stream'),
    ...(upload.filename ? [entry.field('filename').set(upload.filename)] : []),
    entry.field('size').set(upload.body.length),
    entry.field('blobKey').set(blobKey),
  ];
}

/** The writes creating an id (a random id never exists yet: the condition only guards a collision). */
function creationOps(mediaId: string, uploader: string, now: number) {
  const entry = media.key(mediaId);
  return [entry.field('uploader').set(uploader, { ifAbsent: true }), entry.field('createdTs').set(now), uploaderMedia.key(uploader).key(mediaId).set(now)];
}

/** `POST /upload`: a new id with its content. */
export async function uploadMedia(uploader: string, upload: Upload): Promise<string> {
  assertUploadSize(upload.body.length);
  const mediaId = newMediaId();
  const blobKey = blobKeyOf(mediaId);
  const now = Date.now();
  await blobStore().put(blobKey, upload.body, upload.contentType);
  await commit([...creationOps(mediaId, uploader, now), ...contentOps(mediaId, upload, blobKey, now)]);
  return mediaId;
}

/** `POST /create`: an id whose content its creator uploads later. */
export async function createMedia(uploader: string): Promise<{ mediaId: string; unusedExpiresAt: number }> {
  const mediaId = newMediaId();
  const now = Date.now();
  await commit(creationOps(mediaId, uploader, now));
  return { mediaId, unusedExpiresAt: now + UNUSED_MEDIA_LIFETIME_MS };
}

/** `PUT /upload/{serverName}/{mediaId}`: the content of a created id, by its creator, once. */
export async function uploadCreatedMedia(uploader: string, mediaId: string, upload: Upload): Promise<void> {
  const entry = await media.key(mediaId).get({ consistent: true });
  if (!entry?.uploader || (entry.uploadedTs === undefined && (entry.createdTs ?? 0) + UNUSED_MEDIA_LIFETIME_MS < Date.now())) {
    throw notFound('Unknown media ID');
  }
  if (entry.uploader !== uploader) throw forbidden('This media ID was created by another user');
  if (entry.uploadedTs !== undefined) throw cannotOverwrite();
  assertUploadSize(upload.body.length);
  const blobKey = blobKeyOf(mediaId);
  const now = Date.now();
  await blobStore().put(blobKey, upload.body, upload.contentType);
  try {
    await commit(contentOps(mediaId, upload, blobKey, now));
  } catch (e) {
    // Another upload to this id won between our read and our write.
    if (isConditionFailed(e)) throw cannotOverwrite();
    throw e;
  }
}

const cannotOverwrite = () => new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'Media already uploaded');

/** The metadata of uploaded content; 404 for unknown ids, 504 for ids still awaiting their content. */
export async function mediaInfo(server: string, mediaId: string): Promise<MediaInfo> {
  const id = localMediaId(server, mediaId);
  const entry = id ? await media.key(id).get() : undefined;
  // Quarantined media is not served (Synapse: 404 M_NOT_FOUND, as if it did not exist).
  if (!entry?.uploader || entry.quarantinedBy !== undefined) throw notFound('Media not found');
  // Created but not uploaded yet: the spec's answer once `timeout_ms` passes (we do not wait).
  if (!entry.blobKey || entry.uploadedTs === undefined) throw new MatrixError(504, 'M_NOT_YET_UPLOADED', 'Media has not been uploaded yet');
  return { contentType: entry.contentType ?? 'application/octet-stream', filename: entry.filename, size: entry.size ?? 0, blobKey: entry.blobKey };
}

export async function mediaContent(info: MediaInfo): Promise<Buffer> {
  const body = await blobStore().get(info.blobKey);
  if (!body) throw notFound('Media not found');
  return body;
}
