// Server discovery (spec: "Server Discovery" and "GET /_matrix/client/versions").
import { notFound, unrecognized } from './errors.ts';

/**
 * Spec versions Axon advertises. A version is listed only when the endpoints it adds are served
 * (test/matrix/versions.test.ts checks each against the spec's x-addedInMatrixVersion), apart from
 * optional modules Axon does not offer (SSO, login tokens, application services), whose absence
 * the spec allows. Highlights: v1.2 space hierarchy, v1.4 threads, v1.6 timestamp_to_event, v1.7
 * async uploads, v1.10 relation recursion (depth 1 reported), v1.11 authenticated media (clients
 * then use /_matrix/client/v1/media), v1.13–v1.14 reports, v1.15 room summaries (OAuth 2.0 is
 * optional: auth_metadata answers M_UNRECOGNIZED). Not v1.16: /sync's `use_state_after` is not served.
 */
export const supportedVersions: readonly string[] = Array.from({ length: 15 }, (_, i) => `v1.${i + 1}`);

/** Namespaced well-known key under which Axon advertises its WebSocket push channel. */
export const webSocketWellKnownKey = 'org.axon.websocket';

/**
 * The unstable feature flags of Synapse's /versions (rust/src/handlers/versions.rs) for what Axon
 * serves, so clients that gate on a flag rather than on a spec version find it; every other flag
 * (label filtering, relation recursion, extended profiles, appservice ping, ...) is left out, as
 * Axon does not serve it.
 */
export const unstableFeatures: Readonly<Record<string, true>> = {
  /** Cross-signing: /keys/device_signing/upload and /keys/signatures/upload. */
  'org.matrix.e2e_cross_signing': true,
  /** GET /rooms/{roomId}/aliases. */
  'org.matrix.msc2432': true,
  /** Private read receipts (m.read.private). */
  'org.matrix.msc2285.stable': true,
  /** /publicRooms filtered by room type. */
  'org.matrix.msc3827.stable': true,
  /** Threads (m.thread relations, /threads). */
  'org.matrix.msc3440.stable': true,
  /** Threaded read receipts (`thread_id`). */
  'org.matrix.msc3771': true,
  /** Authenticated media under /_matrix/client/v1/media. */
  'org.matrix.msc3916.stable': true,
  /** m.room.redaction through PUT /send (content.redacts) in every room version. */
  'com.beeper.msc4169': true,
  /** Simplified sliding sync (MSC4186) at /_matrix/client/unstable/org.matrix.simplified_msc3575/sync. */
  'org.matrix.simplified_msc3575': true,
};

/**
 * The r0 releases Synapse still lists: their paths (`/_matrix/client/r0`, `/_matrix/media/r0`) are
 * sent on to v3 (functions/http/unrecognized.ts), which is what r0 clients expect of them.
 */
export const legacyVersions: readonly string[] = ['r0.0.1', 'r0.1.0', 'r0.2.0', 'r0.3.0', 'r0.4.0', 'r0.5.0', 'r0.6.0', 'r0.6.1'];

export function versionsResponse() {
  return { versions: [...legacyVersions, ...supportedVersions], unstable_features: { ...unstableFeatures } as Record<string, boolean> };
}

export function wellKnownClient(baseUrl: string, webSocketUrl?: string) {
  return {
    'm.homeserver': { base_url: baseUrl },
    ...(webSocketUrl ? { [webSocketWellKnownKey]: { url: webSocketUrl } } : {}),
  };
}

/**
 * GET /.well-known/matrix/support: no support contacts are configured, which the spec answers with
 * 404 (Synapse, which has no such setting, answers 404 too).
 */
export const noSupportInformation = () => notFound('No server support information available');

/**
 * GET /_matrix/client/v1/auth_metadata: Axon authenticates with the legacy API only (no OAuth 2.0
 * / OIDC, as Synapse without MAS), which the spec answers with 404 M_UNRECOGNIZED.
 */
export const noAuthMetadata = () => unrecognized(404, 'Legacy authentication is in use on this homeserver');
