// URL previews: not offered, answered as Synapse answers without them (lib/matrix/unoffered/features.ts).
import type { Operation } from '../../lib/http/operation.ts';
import { urlPreviewsDisabled } from '../../lib/matrix/unoffered/features.ts';

export const unofferedOperations = {
  getUrlPreview: () => {
    throw urlPreviewsDisabled();
  },
  getUrlPreviewAuthed: () => {
    throw urlPreviewsDisabled();
  },
} satisfies Record<string, Operation>;
