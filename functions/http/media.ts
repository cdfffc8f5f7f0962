// The content repository: POST /_matrix/media/v3/upload, POST /_matrix/media/v1/create,
// PUT /_matrix/media/v3/upload/{serverName}/{mediaId}, download / thumbnail / config under
// /_matrix/media/v3 (download and thumbnail unauthenticated, as deprecated by the spec) and
// under /_matrix/client/v1/media (authenticated).
import { json, type HttpRequest, type HttpResponse } from '../../lib/http/operation.ts';
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
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

function uploadOf(request: HttpRequest): Upload {
  const filename = request.query.get('filename') ?? undefined;
  return { body: request.rawBody, contentType: request.headers['content-type'], filename };
}

const media = ['serverName', 'mediaId'] as const;

async function download({ params, request }: { params: Readonly<Record<'serverName' | 'mediaId', string>>; request: HttpRequest }): Promise<HttpResponse> {
  const info = await mediaInfo(params.serverName, params.mediaId);
  const body = await mediaContent(info);
  // The file name a download's path may give (GET .../download/{serverName}/{mediaId}/{fileName}).
  const filename = request.pathParameters.fileName ?? info.filename;
  return { status: 200, rawBody: body, headers: mediaHeaders(info.contentType, contentDisposition(info.contentType, filename)) };
}

async function thumbnailOf({ params, request }: { params: Readonly<Record<'serverName' | 'mediaId', string>>; request: HttpRequest }): Promise<HttpResponse> {
  const wanted = parseThumbnailRequest(request.query);
  const info = await mediaInfo(params.serverName, params.mediaId);
  const thumb = await thumbnail(info, wanted);
  const extension = thumb.contentType === 'image/jpeg' ? 'jpg' : 'png';
  // The spec requires an inline disposition for thumbnails.
  return { status: 200, rawBody: thumb.body, headers: mediaHeaders(thumb.contentType, `inline; filename="thumbnail.${extension}"`) };
}

const config = () => json({ 'm.upload.size': maxUploadBytes() });

export const handler = matrixFunction('media', {
  uploadContent: operation({ auth: 'user', rawBody: true }, async ({ requester, request }) =>
    json({ content_uri: mxcUri(await uploadMedia(requester.userId, uploadOf(request))) }),
  ),
  // The spec gives /create no request body: whatever a client sends is ignored, not parsed.
  createContent: operation({ auth: 'user', rawBody: true }, async ({ requester }) => {
    const { mediaId, unusedExpiresAt } = await createMedia(requester.userId);
    return json({ content_uri: mxcUri(mediaId), unused_expires_at: unusedExpiresAt });
  }),
  uploadContentToMXC: operation({ auth: 'user', rawBody: true, params: media }, async ({ requester, params, request }) => {
    const id = localMediaId(params.serverName, params.mediaId);
    if (!id) throw notFound('Unknown media ID');
    await uploadCreatedMedia(requester.userId, id, uploadOf(request));
    return json({});
  }),
  getContent: operation({ auth: 'none', params: media }, download),
  getContentOverrideName: operation({ auth: 'none', params: media }, download),
  getContentThumbnail: operation({ auth: 'none', params: media }, thumbnailOf),
  getConfig: operation({ auth: 'user' }, config),
  getContentAuthed: operation({ auth: 'user', params: media }, download),
  getContentOverrideNameAuthed: operation({ auth: 'user', params: media }, download),
  getContentThumbnailAuthed: operation({ auth: 'user', params: media }, thumbnailOf),
  getConfigAuthed: operation({ auth: 'user' }, config),
});
