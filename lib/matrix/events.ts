// Room events as Axon stores them (a PDU for one server) and the formats clients see.
// Event ids are reference hashes (room versions 4+): `$` + unpadded url-safe base64 of the
// sha256 of the canonical JSON of the redacted event without `signatures` and `unsigned`.
// The content hash in `hashes.sha256` survives redaction, so two events that differ only in
// content still get different ids; `depth` and `prev_events` make ids unique within a room.
import { createHash } from 'node:crypto';
import { canonicalJson, type JsonObject, type JsonValue } from './canonical-json.ts';
import { badJson, tooLarge } from './errors.ts';
import { domainOf } from './ids.ts';
import { redactEvent } from './redaction.ts';
import { roomVersionRules, type RoomVersion } from './room-versions.ts';

/** The server-side `unsigned` data kept with a stored event (never hashed). */
export interface StoredUnsigned {
  /** Content of the state this event replaced (state events only). */
  prev_content?: JsonObject;
  prev_sender?: string;
  replaces_state?: string;
  /** The redaction event that redacted this one, in client format. */
  redacted_because?: ClientEvent;
  /** Who sent it with which transaction id, so only that device sees `transaction_id`. */
  transaction?: { device_id: string; txn_id: string };
  [key: string]: JsonValue | ClientEvent | { device_id: string; txn_id: string } | undefined;
}

export interface RoomEvent {
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  /** The event's 1-based position in its room's timeline. */
  depth: number;
  prev_events: string[];
  auth_events: string[];
  hashes: { sha256: string };
  /** Room version 10 only: the redacted event id (v11 carries it in content). */
  redacts?: string;
  unsigned?: StoredUnsigned;
}

export interface EventDraft {
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  depth: number;
  prev_events?: string[];
  auth_events?: string[];
  /** The event a m.room.redaction redacts; placed per room version. */
  redacts?: string;
  unsigned?: StoredUnsigned;
}

function withoutKeys(event: object, keys: string[]): JsonObject {
  const copy = { ...(event as Record<string, JsonValue>) };
  for (const key of keys) delete copy[key];
  return copy;
}

/** The content hash (spec "Calculating the content hash"): unpadded standard base64 of sha256. */
export function contentHash(event: object): string {
  const hashed = withoutKeys(event, ['unsigned', 'signatures', 'hashes', 'event_id']);
  return createHash('sha256').update(canonicalJson(hashed), 'utf8').digest('base64').replace(/=+$/, '');
}

/** The reference hash event id of an event under a room version. */
export function referenceHashEventId(event: object, version: RoomVersion): string {
  const redacted = withoutKeys(redactEvent(withoutKeys(event, ['event_id']), version), ['signatures', 'unsigned']);
  return `$${createHash('sha256').update(canonicalJson(redacted), 'utf8').digest('base64url')}`;
}

/**
 * An event's id under its room version: the reference hash (v3+), or for v1/v2 `$opaque:server`
 * with the opaque part taken from the reference hash, so that rebuilding an event keeps its id.
 */
export function eventIdOf(event: object, version: RoomVersion): string {
  const hashId = referenceHashEventId(event, version);
  if (roomVersionRules(version).eventIds !== 'server-suffixed') return hashId;
  return `${hashId}:${domainOf((event as { sender: string }).sender) ?? ''}`;
}

const isRoomIdSource = (type: string, version: RoomVersion) => type === 'm.room.create' && roomVersionRules(version).roomIdIsCreateEventHash;

/**
 * The id of a v12 room (MSC4291): `!` + the reference hash of its create event, built as the rooms
 * topology will build it (first event: depth 1, no prev events, the given timestamp).
 */
export function roomIdOfCreateEvent(create: { sender: string; content: JsonObject; origin_server_ts: number }, version: RoomVersion): string {
  const event = buildEvent({ room_id: '', type: 'm.room.create', state_key: '', depth: 1, ...create }, version);
  return `!${event.event_id.slice(1)}`;
}

/** Builds a stored event from a draft: places `redacts`, computes the content hash and the event id. */
export function buildEvent(draft: EventDraft, version: RoomVersion): RoomEvent {
  const content = { ...draft.content };
  const pdu: Omit<RoomEvent, 'event_id' | 'hashes'> = {
    room_id: draft.room_id,
    sender: draft.sender,
    type: draft.type,
    ...(draft.state_key !== undefined ? { state_key: draft.state_key } : {}),
    content,
    origin_server_ts: draft.origin_server_ts,
    depth: draft.depth,
    prev_events: draft.prev_events ?? [],
    auth_events: draft.auth_events ?? [],
  };
  if (draft.type === 'm.room.redaction' && draft.redacts !== undefined) {
    if (roomVersionRules(version).updatedRedactionRules) content.redacts = draft.redacts;
    else pdu.redacts = draft.redacts;
  }
  // v12 (MSC4291): the create event is hashed without a room id, since the room id is its hash.
  const hashed = isRoomIdSource(draft.type, version) ? withoutKeys(pdu, ['room_id']) : pdu;
  const hashes = { sha256: contentHash(hashed) };
  const event_id = eventIdOf({ ...hashed, hashes }, version);
  return { event_id, ...pdu, hashes, ...(draft.unsigned ? { unsigned: draft.unsigned } : {}) };
}

/** The event id a redaction event redacts, wherever the room version put it. */
export function redactedEventId(event: RoomEvent): string | undefined {
  if (event.type !== 'm.room.redaction') return undefined;
  const fromContent = event.content.redacts;
  return typeof fromContent === 'string' ? fromContent : event.redacts;
}

/** The client-visible `unsigned` object. */
export interface ClientUnsigned {
  age?: number;
  prev_content?: JsonObject;
  redacted_because?: ClientEvent;
  transaction_id?: string;
  membership?: string;
  [key: string]: unknown;
}

export interface ClientEvent {
  content: JsonObject;
  event_id: string;
  origin_server_ts: number;
  room_id?: string;
  sender: string;
  state_key?: string;
  type: string;
  redacts?: string;
  unsigned?: ClientUnsigned;
}

export interface ClientFormatOptions {
  /** Now, in ms since the epoch, for `unsigned.age`. */
  now: number;
  /** The device asking; `transaction_id` is shown only to the device that sent the event. */
  requester?: { user_id: string; device_id?: string };
  /** Sync's room-scoped format omits `room_id`. */
  omitRoomId?: boolean;
  /** The requester's membership at the event (`unsigned.membership`, MSC4115). */
  membership?: string;
}

/** Formats a stored event in the Client-Server "ClientEvent" format. */
export function toClientEvent(event: RoomEvent, options: ClientFormatOptions): ClientEvent {
  const unsigned: ClientUnsigned = { age: Math.max(0, options.now - event.origin_server_ts) };
  const stored = event.unsigned;
  if (stored?.prev_content !== undefined && event.state_key !== undefined) unsigned.prev_content = stored.prev_content;
  if (stored?.redacted_because !== undefined) unsigned.redacted_because = stored.redacted_because;
  const txn = stored?.transaction;
  if (
    txn &&
    options.requester?.user_id === event.sender &&
    options.requester.device_id !== undefined &&
    options.requester.device_id === txn.device_id
  ) {
    unsigned.transaction_id = txn.txn_id;
  }
  if (options.membership !== undefined) unsigned.membership = options.membership;
  const client: ClientEvent = {
    content: event.content,
    event_id: event.event_id,
    origin_server_ts: event.origin_server_ts,
    ...(options.omitRoomId ? {} : { room_id: event.room_id }),
    sender: event.sender,
    ...(event.state_key !== undefined ? { state_key: event.state_key } : {}),
    type: event.type,
    unsigned,
  };
  // Clients read `redacts` at the top level in every room version (v11 copies it from content).
  const redacts = redactedEventId(event);
  if (redacts !== undefined) client.redacts = redacts;
  return client;
}

/** Stripped state (invites, knocks): only content, sender, state_key and type. */
export interface StrippedStateEvent {
  content: JsonObject;
  sender: string;
  state_key: string;
  type: string;
}

export function toStrippedState(event: RoomEvent): StrippedStateEvent {
  return { content: event.content, sender: event.sender, state_key: event.state_key ?? '', type: event.type };
}

/** The state events an invitee sees (spec recommends these types). */
export const INVITE_STATE_TYPES = [
  'm.room.create', 'm.room.join_rules', 'm.room.canonical_alias', 'm.room.avatar', 'm.room.name',
  'm.room.encryption', 'm.room.topic',
] as const;

/**
 * Applies a redaction to a stored event: content and keys pruned per the room version,
 * `unsigned.redacted_because` set. The event id stays the same.
 */
export function applyRedaction(event: RoomEvent, redaction: ClientEvent, version: RoomVersion): RoomEvent {
  const pruned = redactEvent(event, version) as unknown as RoomEvent;
  // `replaces_state` is server bookkeeping (never shown to clients) that reads of the state at an
  // earlier position walk back through; redaction must not cut that chain.
  const replaces = event.unsigned?.replaces_state;
  return { ...pruned, unsigned: { redacted_because: redaction, ...(typeof replaces === 'string' ? { replaces_state: replaces } : {}) } };
}

/** The spec's size limit of an event: 65536 bytes of its canonical JSON (PDU format). */
export const MAX_EVENT_BYTES = 65_536;

/** The spec's limit on `sender`, `room_id`, `type` and `state_key`: 255 bytes each. */
export const MAX_EVENT_FIELD_BYTES = 255;

/**
 * Refuses an event larger than the spec allows (413 M_TOO_LARGE), or with a type or state key
 * longer than 255 bytes (400 M_BAD_JSON), before it is written.
 */
export function assertEventSize(event: RoomEvent): void {
  for (const field of ['type', 'state_key', 'sender', 'room_id'] as const) {
    const value = event[field];
    if (value !== undefined && Buffer.byteLength(value, 'utf8') > MAX_EVENT_FIELD_BYTES) {
      throw badJson(`${field} is longer than ${MAX_EVENT_FIELD_BYTES} bytes`);
    }
  }
  const { unsigned: _unsigned, ...pdu } = event;
  if (Buffer.byteLength(canonicalJson(pdu), 'utf8') > MAX_EVENT_BYTES) throw tooLarge('Event is larger than 65536 bytes');
}

/** The stored `unsigned` of a state event that replaces `previous` (for `unsigned.prev_content`). */
export function replacedStateUnsigned(previous: RoomEvent | undefined): StoredUnsigned {
  if (!previous) return {};
  return { prev_content: previous.content, prev_sender: previous.sender, replaces_state: previous.event_id };
}
