// URL previews: not offered, answered as Synapse answers without them (lib/matrix/unoffered/features.ts).
import type { DeclaredOperation } from '../../lib/http/operation.ts';
import { operation } from '../../lib/matrix/routes/operation.ts';
import { urlPreviewsDisabled } from '../../lib/matrix/unoffered/features.ts';

const previewsDisabled = operation({ auth: 'none' }, () => {
  throw urlPreviewsDisabled();
});

export const unofferedOperations = {
  getUrlPreview: previewsDisabled,
  getUrlPreviewAuthed: previewsDisabled,
} satisfies Record<string, DeclaredOperation>;
