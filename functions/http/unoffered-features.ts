// URL previews, refresh tokens and registration tokens: not offered, answered as Synapse answers
// without them (lib/matrix/unoffered/features.ts).
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { refreshToken, registrationTokenValidity, urlPreviewsDisabled } from '../../lib/matrix/unoffered/features.ts';

export const handler = httpFunction(axon, 'unofferedFeatures', {
  getUrlPreview: () => {
    throw urlPreviewsDisabled();
  },
  getUrlPreviewAuthed: () => {
    throw urlPreviewsDisabled();
  },
  refresh: (request) => refreshToken(request.body),
  registrationTokenValidity: (request) => json(registrationTokenValidity(request.query)),
});
