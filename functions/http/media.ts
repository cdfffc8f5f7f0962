// The content repository: POST /_matrix/media/v3/upload, POST /_matrix/media/v1/create,
// PUT /_matrix/media/v3/upload/{serverName}/{mediaId}, download / thumbnail / config under
// /_matrix/media/v3 (download and thumbnail unauthenticated, as deprecated by the spec) and
// under /_matrix/client/v1/media (authenticated).
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { json, rawBodyOperation, type HttpRequest, type HttpResponse } from '../../lib/http/operation.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { notFound } from '../../lib/matrix/errors.ts';
import { contentDisposition, mediaHeaders } from '../../lib/matrix/media/disposition.ts';
import { maxUploadBytes } from '../../lib/matrix/media/limits.ts';
import {
  createMedia,
  localMediaId,
  mediaContent,
  mediaInfo,
  mxcUri,
  uploadCreatedMedia,
  uploadMedia,
  type Upload,
} from '../../lib/matrix/media/repository.ts';
import { parseThumbnailRequest, thumbnail } from '../../lib/matrix/media/thumbnails.ts';

function uploadOf(request: HttpRequest): Upload {
  const filename = request.query.get('filename') ?? undefined;
  return { body: request.rawBody, contentType: request.headers['content-type'], filename };
}

async function download(request: HttpRequest): Promise<HttpResponse> {
  const { serverName, mediaId, fileName } = request.pathParameters as { serverName: string; mediaId: string; fileName?: string };
  const info = await mediaInfo(serverName, mediaId);
  const body = await mediaContent(info);
  const filename = fileName ?? info.filename;
  return { status: 200, rawBody: body, headers: mediaHeaders(info.contentType, contentDisposition(info.contentType, filename)) };
}

async function thumbnailOf(request: HttpRequest): Promise<HttpResponse> {
  const { serverName, mediaId } = request.pathParameters as { serverName: string; mediaId: string };
  const wanted = parseThumbnailRequest(request.query);
  const info = await mediaInfo(serverName, mediaId);
  const thumb = await thumbnail(info, wanted);
  const extension = thumb.contentType === 'image/jpeg' ? 'jpg' : 'png';
  // The spec requires an inline disposition for thumbnails.
  return { status: 200, rawBody: thumb.body, headers: mediaHeaders(thumb.contentType, `inline; filename="thumbnail.${extension}"`) };
}

const config = () => json({ 'm.upload.size': maxUploadBytes() });

const authenticated = (op: (request: HttpRequest) => Promise<HttpResponse>) => async (request: HttpRequest) => {
  await authenticate(request);
  return op(request);
};

export const handler = matrixFunction('media', {
  uploadContent: rawBodyOperation(async (request) => {
    const { userId } = await authenticate(request);
    const mediaId = await uploadMedia(userId, uploadOf(request));
    return json({ content_uri: mxcUri(mediaId) });
  }),
  // The spec gives /create no request body: whatever a client sends is ignored, not parsed.
  createContent: rawBodyOperation(async (request) => {
    const { userId } = await authenticate(request);
    const { mediaId, unusedExpiresAt } = await createMedia(userId);
    return json({ content_uri: mxcUri(mediaId), unused_expires_at: unusedExpiresAt });
  }),
  uploadContentToMXC: rawBodyOperation(async (request) => {
    const { userId } = await authenticate(request);
    const { serverName, mediaId } = request.pathParameters as { serverName: string; mediaId: string };
    const id = localMediaId(serverName, mediaId);
    if (!id) throw notFound('Unknown media ID');
    await uploadCreatedMedia(userId, id, uploadOf(request));
    return json({});
  }),
  getContent: download,
  getContentOverrideName: download,
  getContentThumbnail: thumbnailOf,
  getConfig: authenticated(async () => config()),
  getContentAuthed: authenticated(download),
  getContentOverrideNameAuthed: authenticated(download),
  getContentThumbnailAuthed: authenticated(thumbnailOf),
  getConfigAuthed: authenticated(async () => config()),
});
