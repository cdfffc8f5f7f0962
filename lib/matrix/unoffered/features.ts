// Features Axon does not offer, answered as Synapse answers when they are not configured, so a
// client sees the same thing from either server:
// URL previews (Synapse's `url_preview_enabled: false`): the routes do not exist, 404 M_UNRECOGNIZED.
import { unrecognized } from '../errors.ts';

export const urlPreviewsDisabled = () => unrecognized(404, 'URL previews are disabled on this server');

