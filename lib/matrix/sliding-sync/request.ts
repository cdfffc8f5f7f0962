// The request of simplified sliding sync (MSC4186), in both forms clients send: the unstable
// endpoint's older one that matrix-js-sdk 43, Element X and Synapse speak (`pos` and `timeout` as
// query parameters, `ranges`, `required_state` as [type, state_key] pairs with `*`, `$LAZY` and
// `$ME`, `is_invite`) and the MSC text's (`pos`/`timeout` in the body, `range`, `required_state`
// as {include, exclude, lazy_members}, `is_invited`). Both normalise to one SlidingSyncRequest.
// A wrong shape is M_BAD_JSON, a missing field M_MISSING_PARAM, an unacceptable value
// M_INVALID_PARAM (the MSC's limits: 100 lists, 100 subscriptions).
import { z } from 'zod';
import { invalidParam } from '../errors.ts';
import { identifier, parseRequestBody } from '../request-schemas.ts';
import { SCOPED_EXTENSIONS, type ExtensionScope, type ScopedExtension } from './extension-scope.ts';

/** Matches a (type, state key) pair; an absent field matches anything. `$ME` stands for the requester. */
export interface StatePattern {
  type?: string;
  stateKey?: string;
}

export interface RequiredState {
  include: StatePattern[];
  exclude: StatePattern[];
  /** Members of the timeline's senders (`$LAZY` / `lazy_members`). */
  lazyMembers: boolean;
}

export interface RoomConfig {
  timelineLimit: number;
  requiredState: RequiredState;
}

export interface ListFilters {
  isDm?: boolean;
  isEncrypted?: boolean;
  isInvite?: boolean;
  /** `null` stands for rooms without a type. */
  roomTypes?: (string | null)[];
  notRoomTypes?: (string | null)[];
  /** Rooms the user tagged (m.tag) with any of these; `notTags`: with none of these (Synapse's filter_rooms). */
  tags?: string[];
  notTags?: string[];
  /** Rooms named by an m.space.child event (with a `via`) of any of these spaces the user is joined to; not of subspaces. */
  spaces?: string[];
}

export interface ListRequest extends RoomConfig {
  /** Inclusive [start, end] index pairs; absent: every room of the list. */
  ranges?: [number, number][];
  filters: ListFilters;
}

export type ExtensionName = 'to_device' | 'e2ee' | 'account_data' | 'receipts' | 'typing';

export interface SlidingSyncRequest {
  connId: string;
  pos?: string;
  timeoutMs: number;
  setPresence?: 'online' | 'offline' | 'unavailable';
  lists: Map<string, ListRequest>;
  roomSubscriptions: Map<string, RoomConfig>;
  unsubscribeRooms: string[];
  /** The extensions the request turns on (true) or off (false); absent ones keep what the connection had. */
  extensions: Partial<Record<ExtensionName, boolean>>;
  /** The to_device extension's `since` (its own position, as Synapse's). */
  toDeviceSince?: string;
  /** The `lists`/`rooms` keys the request gives room-scoped extensions (absent ones keep the connection's). */
  extensionScopes: Partial<Record<ScopedExtension, Partial<ExtensionScope>>>;
}

/** Synapse and the MSC: at most 100 lists and 100 subscriptions. */
export const MAX_LISTS = 100;
export const MAX_SUBSCRIPTIONS = 100;
/** The server may cap timeline_limit (MSC4186); more would be a page of /messages anyway. */
export const MAX_TIMELINE_LIMIT = 100;
const MAX_RANGES = 100;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const text = z.string().max(1000);
const pair = z.tuple([text, text]);
const element = z.object({ type: text.optional(), state_key: text.optional() });
const requiredStateSchema = z.union([
  z.array(pair).max(1000),
  z.object({ include: z.array(element).max(1000).optional(), exclude: z.array(element).max(1000).optional(), lazy_members: z.boolean().optional() }),
]);
const roomConfigSchema = z.object({ timeline_limit: count, required_state: requiredStateSchema });
const range = z.tuple([count, count]);
const roomType = z.union([text, z.null()]);
const filtersSchema = z.object({
  is_dm: z.boolean().optional(),
  is_encrypted: z.boolean().optional(),
  is_invite: z.boolean().optional(),
  is_invited: z.boolean().optional(),
  room_types: z.array(roomType).max(100).optional(),
  not_room_types: z.array(roomType).max(100).optional(),
  tags: z.array(text).max(100).optional(),
  not_tags: z.array(text).max(100).optional(),
  spaces: z.array(text).max(100).optional(),
});
const listSchema = roomConfigSchema.extend({
  ranges: z.array(range).max(MAX_RANGES).optional(),
  range: range.optional(),
  filters: filtersSchema.optional(),
});
const extensionSchema = z.object({ enabled: z.boolean().optional() });
/** A room-scoped extension: its reserved `lists` and `rooms` keys (extension-scope.ts). */
const scopedExtensionSchema = extensionSchema.extend({
  lists: z.array(z.string().max(255)).max(MAX_LISTS).nullable().optional(),
  rooms: z.array(z.string().max(255)).max(MAX_SUBSCRIPTIONS).nullable().optional(),
});
const bodySchema = z.object({
  conn_id: z.string().max(255).optional(),
  pos: z.string().optional(),
  timeout: count.optional(),
  set_presence: z.string().optional(),
  lists: z.record(z.string().min(1).max(255), listSchema).optional(),
  room_subscriptions: z.record(identifier, roomConfigSchema).optional(),
  unsubscribe_rooms: z.array(identifier).max(MAX_SUBSCRIPTIONS).optional(),
  extensions: z
    .object({
      to_device: extensionSchema.extend({ since: z.string().max(200).optional(), limit: count.optional() }).optional(),
      e2ee: extensionSchema.optional(),
      account_data: scopedExtensionSchema.optional(),
      receipts: scopedExtensionSchema.optional(),
      typing: scopedExtensionSchema.optional(),
    })
    .optional(),
});

const PRESENCE = new Set(['online', 'offline', 'unavailable']);
const WILDCARD = '*';

/** The older pairs form: `*` is any type or state key, (m.room.member, $LAZY) asks for lazy members. */
function fromPairs(pairs: readonly [string, string][]): RequiredState {
  const out: RequiredState = { include: [], exclude: [], lazyMembers: false };
  for (const [type, stateKey] of pairs) {
    if (type === 'm.room.member' && stateKey === '$LAZY') {
      out.lazyMembers = true;
      continue;
    }
    out.include.push({ ...(type !== WILDCARD ? { type } : {}), ...(stateKey !== WILDCARD ? { stateKey } : {}) });
  }
  return out;
}

function requiredStateOf(value: z.infer<typeof requiredStateSchema>): RequiredState {
  if (Array.isArray(value)) return fromPairs(value);
  const pattern = (e: z.infer<typeof element>): StatePattern => ({
    ...(e.type !== undefined ? { type: e.type } : {}),
    ...(e.state_key !== undefined ? { stateKey: e.state_key } : {}),
  });
  return { include: (value.include ?? []).map(pattern), exclude: (value.exclude ?? []).map(pattern), lazyMembers: value.lazy_members === true };
}

function roomConfigOf(value: z.infer<typeof roomConfigSchema>): RoomConfig {
  return { timelineLimit: Math.min(value.timeline_limit, MAX_TIMELINE_LIMIT), requiredState: requiredStateOf(value.required_state) };
}

function rangesOf(name: string, list: z.infer<typeof listSchema>): [number, number][] | undefined {
  const ranges = list.ranges ?? (list.range ? [list.range] : undefined);
  for (const [start, end] of ranges ?? []) {
    if (start > end) throw invalidParam(`lists.${name}: a range's start is past its end`);
  }
  return ranges;
}

function timeoutOf(query: URLSearchParams, body: number | undefined): number {
  const param = query.get('timeout');
  if (param === null || param === '') return body ?? 0;
  if (!/^\d{1,15}$/.test(param)) throw invalidParam('timeout must be a non-negative integer (milliseconds)');
  return Number(param);
}

export function parseSlidingSyncRequest(query: URLSearchParams, rawBody: unknown): SlidingSyncRequest {
  const body = parseRequestBody(bodySchema, rawBody ?? {});
  const presence = query.get('set_presence') ?? body.set_presence;
  if (presence !== undefined && !PRESENCE.has(presence)) throw invalidParam('set_presence must be online, offline or unavailable');
  const lists = Object.entries(body.lists ?? {});
  if (lists.length > MAX_LISTS) throw invalidParam(`At most ${MAX_LISTS} lists`);
  const subscriptions = Object.entries(body.room_subscriptions ?? {});
  if (subscriptions.length > MAX_SUBSCRIPTIONS) throw invalidParam(`At most ${MAX_SUBSCRIPTIONS} room subscriptions`);
  const pos = query.get('pos') || body.pos || undefined;
  const extensions: SlidingSyncRequest['extensions'] = {};
  for (const [name, config] of Object.entries(body.extensions ?? {})) {
    if (config?.enabled !== undefined) extensions[name as ExtensionName] = config.enabled;
  }
  const extensionScopes: SlidingSyncRequest['extensionScopes'] = {};
  for (const name of SCOPED_EXTENSIONS) {
    const config = body.extensions?.[name];
    const scope: Partial<ExtensionScope> = {
      ...(config?.lists !== undefined ? { lists: config.lists } : {}),
      ...(config?.rooms !== undefined ? { rooms: config.rooms } : {}),
    };
    if (Object.keys(scope).length) extensionScopes[name] = scope;
  }
  // An empty since is a client echoing the next_batch of a device that never had a message.
  const since = body.extensions?.to_device?.since || undefined;
  if (since !== undefined && !/^[0-9.]{1,200}$/.test(since)) throw invalidParam('extensions.to_device.since is not a position this server gave');
  return {
    connId: body.conn_id ?? '',
    ...(pos ? { pos } : {}),
    timeoutMs: timeoutOf(query, body.timeout),
    ...(presence !== undefined ? { setPresence: presence as SlidingSyncRequest['setPresence'] } : {}),
    lists: new Map(
      lists.map(([name, list]) => {
        const ranges = rangesOf(name, list);
        const f = list.filters ?? {};
        const filters: ListFilters = {
          ...(f.is_dm !== undefined ? { isDm: f.is_dm } : {}),
          ...(f.is_encrypted !== undefined ? { isEncrypted: f.is_encrypted } : {}),
          ...((f.is_invited ?? f.is_invite) !== undefined ? { isInvite: (f.is_invited ?? f.is_invite)! } : {}),
          ...(f.room_types ? { roomTypes: f.room_types } : {}),
          ...(f.not_room_types ? { notRoomTypes: f.not_room_types } : {}),
          ...(f.tags ? { tags: f.tags } : {}),
          ...(f.not_tags ? { notTags: f.not_tags } : {}),
          ...(f.spaces ? { spaces: [...new Set(f.spaces)] } : {}),
        };
        return [name, { ...roomConfigOf(list), ...(ranges ? { ranges } : {}), filters }];
      }),
    ),
    roomSubscriptions: new Map(subscriptions.map(([roomId, config]) => [roomId, roomConfigOf(config)])),
    unsubscribeRooms: body.unsubscribe_rooms ?? [],
    extensions,
    ...(since !== undefined ? { toDeviceSince: since } : {}),
    extensionScopes,
  };
}
