// Media: the content repository. Metadata goes straight to the `media` PState (see pstates.ts),
// bytes to the blob store (S3 on AWS, a directory locally).
import type { ModuleFragment } from '../../core/module.ts';
import { accessTokens, media, uploaderMedia } from '../pstates.ts';

const mediaApi = '/_matrix/media';
const authed = '/_matrix/client/v1/media';

export const mediaRoutes = {
  functions: {
    media: {
      entry: 'functions/http/media.ts',
      description: 'Media upload, download, thumbnails and config',
      access: { reads: [accessTokens, media], writes: [media, uploaderMedia], blobs: true },
      // Thumbnailing decodes whole images in memory; more memory is also more CPU.
      memoryMb: 1024,
      timeoutSeconds: 28,
    },
  },
  routes: [
    { method: 'POST', path: `${mediaApi}/v3/upload`, function: 'media', operation: 'uploadContent' },
    { method: 'PUT', path: `${mediaApi}/v3/upload/{serverName}/{mediaId}`, function: 'media', operation: 'uploadContentToMXC' },
    { method: 'POST', path: `${mediaApi}/v1/create`, function: 'media', operation: 'createContent' },
    { method: 'GET', path: `${mediaApi}/v3/download/{serverName}/{mediaId}`, function: 'media', operation: 'getContent' },
    { method: 'GET', path: `${mediaApi}/v3/download/{serverName}/{mediaId}/{fileName}`, function: 'media', operation: 'getContentOverrideName' },
    { method: 'GET', path: `${mediaApi}/v3/thumbnail/{serverName}/{mediaId}`, function: 'media', operation: 'getContentThumbnail' },
    { method: 'GET', path: `${mediaApi}/v3/config`, function: 'media', operation: 'getConfig' },
    { method: 'GET', path: `${authed}/download/{serverName}/{mediaId}`, function: 'media', operation: 'getContentAuthed' },
    { method: 'GET', path: `${authed}/download/{serverName}/{mediaId}/{fileName}`, function: 'media', operation: 'getContentOverrideNameAuthed' },
    { method: 'GET', path: `${authed}/thumbnail/{serverName}/{mediaId}`, function: 'media', operation: 'getContentThumbnailAuthed' },
    { method: 'GET', path: `${authed}/config`, function: 'media', operation: 'getConfigAuthed' },
  ],
} satisfies ModuleFragment;
