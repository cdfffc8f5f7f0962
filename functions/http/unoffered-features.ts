// URL previews, refresh tokens and registration tokens: not offered, answered as Synapse answers
// without them (lib/matrix/unoffered/features.ts).
import { json, type Operation } from '../../lib/http/operation.ts';
import { refreshToken, registrationTokenValidity, urlPreviewsDisabled } from '../../lib/matrix/unoffered/features.ts';

export const unofferedOperations = {
  getUrlPreview: () => {
    throw urlPreviewsDisabled();
  },
  getUrlPreviewAuthed: () => {
    throw urlPreviewsDisabled();
  },
  refresh: (request) => refreshToken(request.body),
  registrationTokenValidity: (request) => json(registrationTokenValidity(request.query)),
} satisfies Record<string, Operation>;
