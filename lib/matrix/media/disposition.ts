// Response headers for served media (Client-Server API "Serving inline content"): only types a
// browser cannot run as a document are `inline`, everything else is an `attachment`; a strict CSP
// and sandbox stop uploaded HTML or SVG from running as this server's origin.

const INLINE_TYPES = new Set([
  'text/css', 'text/plain', 'text/csv', 'application/json', 'application/ld+json',
  'image/jpeg', 'image/gif', 'image/png', 'image/apng', 'image/webp', 'image/avif',
  'video/mp4', 'video/webm', 'video/ogg', 'video/quicktime',
  'audio/mp4', 'audio/webm', 'audio/aac', 'audio/mpeg', 'audio/ogg', 'audio/wave', 'audio/wav', 'audio/x-wav', 'audio/x-pn-wav', 'audio/flac', 'audio/x-flac',
]);

function filenameParameter(filename: string): string {
  // Plain ASCII without quotes or controls goes as is; anything else as RFC 6266 `filename*`.
  if (/^[\x20-\x7e]*$/.test(filename) && !/["\\]/.test(filename)) return `filename="${filename}"`;
  return `filename*=utf-8''${encodeURIComponent(filename)}`;
}

export function contentDisposition(contentType: string, filename: string | undefined): string {
  const base = contentType.split(';')[0]!.trim().toLowerCase();
  const disposition = INLINE_TYPES.has(base) ? 'inline' : 'attachment';
  return filename ? `${disposition}; ${filenameParameter(filename)}` : disposition;
}

export function mediaHeaders(contentType: string, disposition: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-disposition': disposition,
    'content-security-policy': "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
    'cross-origin-resource-policy': 'cross-origin',
    'x-content-type-options': 'nosniff',
    // Content never changes once uploaded.
    'cache-control': 'private, max-age=31536000, immutable',
  };
}
