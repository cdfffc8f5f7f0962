// URL previews and refresh tokens: not offered, answered as Synapse answers
// without them (lib/matrix/unoffered/features.ts).
import type { Operation } from '../../lib/http/operation.ts';
import { refreshToken, urlPreviewsDisabled } from '../../lib/matrix/unoffered/features.ts';

export const unofferedOperations = {
  getUrlPreview: () => {
    throw urlPreviewsDisabled();
  },
  getUrlPreviewAuthed: () => {
    throw urlPreviewsDisabled();
  },
  refresh: (request) => refreshToken(request.body),
} satisfies Record<string, Operation>;
