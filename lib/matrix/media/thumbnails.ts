// Thumbnails (Client-Server API "Thumbnails"): `scale` fits the image inside the requested box
// keeping its aspect ratio, `crop` fills the box exactly and cuts what overflows. jimp is pure
// JavaScript, so it bundles for arm64 Lambda without a native binary. Each (size, method) is
// generated once and kept in the blob store beside the original.
import { Jimp } from 'jimp';
import { blobStore } from '../../core/blobs.ts';
import { MatrixError, invalidParam, missingParam, tooLarge } from '../errors.ts';
import { mediaContent, thumbnailsKeyOf, type MediaInfo } from './repository.ts';

export type ThumbnailMethod = 'scale' | 'crop';

export interface ThumbnailRequest {
  width: number;
  height: number;
  method: ThumbnailMethod;
}

/** Larger requests get thumbnails of this size at most (the spec allows a different size). */
export const MAX_THUMBNAIL_SIDE = 1600;
/** Decoding is done in memory: larger originals are refused with 413 as the spec describes. */
export const MAX_THUMBNAIL_SOURCE_BYTES = 20 * 1024 * 1024;

const THUMBNAILABLE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/bmp']);

function dimension(query: URLSearchParams, name: string): number {
  const raw = query.get(name);
  if (raw === null) throw missingParam(`Missing ${name}`);
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw invalidParam(`${name} must be a positive integer`);
  return Math.min(Number(raw), MAX_THUMBNAIL_SIDE);
}

export function parseThumbnailRequest(query: URLSearchParams): ThumbnailRequest {
  const width = dimension(query, 'width');
  const height = dimension(query, 'height');
  const method = query.get('method') ?? 'scale';
  if (method !== 'scale' && method !== 'crop') throw invalidParam('method must be scale or crop');
  return { width, height, method };
}

const cannotThumbnail = () => new MatrixError(400, 'M_UNKNOWN', 'Cannot generate thumbnails for the requested content');

/** JPEG originals stay JPEG (photos); everything else becomes PNG (keeps transparency). */
const thumbnailType = (contentType: string) => (contentType === 'image/jpeg' ? 'image/jpeg' : 'image/png');

export async function thumbnail(info: MediaInfo, request: ThumbnailRequest): Promise<{ body: Buffer; contentType: string }> {
  const baseType = info.contentType.split(';')[0]!.trim().toLowerCase();
  if (!THUMBNAILABLE.has(baseType)) throw cannotThumbnail();
  if (info.size > MAX_THUMBNAIL_SOURCE_BYTES) throw tooLarge('Content is too large to thumbnail');
  const contentType = thumbnailType(baseType);
  const store = blobStore();
  const key = `${thumbnailsKeyOf(info.blobKey)}/${request.width}x${request.height}-${request.method}`;
  const cached = await store.get(key);
  if (cached) return { body: cached, contentType };

  let image;
  try {
    image = await Jimp.read(await mediaContent(info));
  } catch {
    // Declared an image but not decodable as one.
    throw cannotThumbnail();
  }
  if (request.method === 'crop') {
    image.cover({ w: request.width, h: request.height });
  } else if (image.width > request.width || image.height > request.height) {
    // Never enlarged: a smaller image is its own best thumbnail.
    image.scaleToFit({ w: request.width, h: request.height });
  }
  const body = contentType === 'image/jpeg' ? await image.getBuffer('image/jpeg') : await image.getBuffer('image/png');
  await store.put(key, body, contentType);
  return { body, contentType };
}
