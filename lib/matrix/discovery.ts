// Server discovery (spec: "Server Discovery" and "GET /_matrix/client/versions").
import { notFound, unrecognized } from './errors.ts';

/**
 * Spec versions Axon advertises. A version is listed only when the endpoints clients expect of it
 * are served (from v1.4 clients expect threads and relations, from v1.11 authenticated media).
 */
export const supportedVersions: readonly string[] = ['v1.1', 'v1.2', 'v1.3'];

/** Namespaced well-known key under which Axon advertises its WebSocket push channel. */
export const webSocketWellKnownKey = 'org.axon.websocket';

export function versionsResponse() {
  return { versions: [...supportedVersions], unstable_features: {} as Record<string, boolean> };
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
