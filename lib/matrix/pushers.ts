// Pushers (Client-Server "Push notifications", POST /pushers/set): checking a request and the stored
// form GET /pushers returns. Axon stores pushers so clients can manage them; it does not call push
// gateways (see lib/matrix/notifications/pushers.ts).
import type { JsonObject } from './canonical-json.ts';
import { invalidParam, missingParam } from './errors.ts';

export const MAX_APP_ID_CHARS = 64;
export const MAX_PUSHKEY_BYTES = 512;
export const PUSH_GATEWAY_PATH = '/_matrix/push/v1/notify';

/** A pusher as GET /pushers lists it. */
export interface Pusher {
  pushkey: string;
  kind: string;
  app_id: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag?: string;
  lang: string;
  data: JsonObject;
}

export type PusherRequest =
  | { op: 'delete'; appId: string; pushkey: string }
  | { op: 'set'; pusher: Pusher; append: boolean };

/** The pusher's key among a user's pushers: app id and pushkey together identify it. */
export const pusherKey = (appId: string, pushkey: string): string => `${appId}\u0000${pushkey}`;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function requiredString(body: JsonObject, name: string): string {
  const value = body[name];
  if (value === undefined) throw missingParam(`Missing parameter: ${name}`);
  if (typeof value !== 'string') throw invalidParam(`${name} must be a string`);
  return value;
}

function checkGatewayUrl(url: unknown): void {
  if (url === undefined) throw missingParam('data.url is required for http pushers');
  if (typeof url !== 'string') throw invalidParam('data.url must be a string');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam('data.url must be a URL');
  }
  // The spec asks for HTTPS; plain HTTP is accepted (as Synapse does) for gateways on a local network.
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalidParam('data.url must be an HTTP(S) URL');
  if (parsed.pathname !== PUSH_GATEWAY_PATH) throw invalidParam(`data.url must have the path ${PUSH_GATEWAY_PATH}`);
}

/** Check a POST /pushers/set body (M_MISSING_PARAM / M_INVALID_PARAM / M_BAD_JSON). */
export function parsePusherRequest(body: unknown): PusherRequest {
  if (!isObject(body)) throw invalidParam('Content must be a JSON object');
  if (!('kind' in body)) throw missingParam('Missing parameter: kind');
  const appId = requiredString(body, 'app_id');
  const pushkey = requiredString(body, 'pushkey');
  if ([...appId].length > MAX_APP_ID_CHARS) throw invalidParam(`app_id is longer than ${MAX_APP_ID_CHARS} characters`);
  if (Buffer.byteLength(pushkey, 'utf8') > MAX_PUSHKEY_BYTES) throw invalidParam(`pushkey is longer than ${MAX_PUSHKEY_BYTES} bytes`);
  if (body.kind === null) return { op: 'delete', appId, pushkey };
  if (typeof body.kind !== 'string') throw invalidParam('kind must be a string or null');
  const missing = ['app_display_name', 'device_display_name', 'lang', 'data'].filter((name) => body[name] === undefined);
  if (missing.length) throw missingParam(`Missing parameters: ${missing.join(', ')}`);
  const appDisplayName = requiredString(body, 'app_display_name');
  const deviceDisplayName = requiredString(body, 'device_display_name');
  const lang = requiredString(body, 'lang');
  const data = body.data;
  if (!isObject(data)) throw invalidParam('data must be an object');
  if (body.profile_tag !== undefined && typeof body.profile_tag !== 'string') throw invalidParam('profile_tag must be a string');
  if (body.append !== undefined && typeof body.append !== 'boolean') throw invalidParam('append must be a boolean');
  // Email pushers need a mail sender this server does not have.
  if (body.kind !== 'http') throw invalidParam(`Unsupported pusher kind ${body.kind}`);
  checkGatewayUrl(data.url);
  if (data.format !== undefined && data.format !== 'event_id_only') throw invalidParam('data.format must be event_id_only');
  const pusher: Pusher = {
    pushkey,
    kind: body.kind,
    app_id: appId,
    app_display_name: appDisplayName,
    device_display_name: deviceDisplayName,
    ...(typeof body.profile_tag === 'string' ? { profile_tag: body.profile_tag } : {}),
    lang,
    data,
  };
  return { op: 'set', pusher, append: body.append === true };
}
