// Filters (Client-Server "Filtering"): validation of a filter definition, its normalized form,
// and the predicates that apply it. The definition itself is stored exactly as the client gave
// it, because matrix-js-sdk compares a fetched filter with its own and recreates it otherwise.
import { z } from 'zod';
import { badJson } from './errors.ts';
import { parseJsonText, parseRequestBody } from './request-schemas.ts';
import { globMatchesAll } from './glob.ts';

const strings = z.array(z.string());
// 0 is allowed, as Synapse ({"type": "number"}): Complement syncs left rooms with a timeline limit of 0.
const limit = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const eventFilterSchema = z.looseObject({
  limit: limit.optional(),
  types: strings.optional(),
  not_types: strings.optional(),
  senders: z.array(z.string().startsWith('@')).optional(),
  not_senders: z.array(z.string().startsWith('@')).optional(),
});

export const roomEventFilterSchema = eventFilterSchema.extend({
  rooms: z.array(z.string().startsWith('!')).optional(),
  not_rooms: z.array(z.string().startsWith('!')).optional(),
  contains_url: z.boolean().optional(),
  lazy_load_members: z.boolean().optional(),
  include_redundant_members: z.boolean().optional(),
  unread_thread_notifications: z.boolean().optional(),
});

export const filterSchema = z.looseObject({
  event_fields: strings.optional(),
  event_format: z.enum(['client', 'federation']).optional(),
  presence: eventFilterSchema.optional(),
  account_data: eventFilterSchema.optional(),
  room: z
    .looseObject({
      rooms: z.array(z.string().startsWith('!')).optional(),
      not_rooms: z.array(z.string().startsWith('!')).optional(),
      include_leave: z.boolean().optional(),
      ephemeral: roomEventFilterSchema.optional(),
      state: roomEventFilterSchema.optional(),
      timeline: roomEventFilterSchema.optional(),
      account_data: roomEventFilterSchema.optional(),
    })
    .optional(),
});

export type EventFilterDefinition = z.output<typeof eventFilterSchema>;
export type RoomEventFilterDefinition = z.output<typeof roomEventFilterSchema>;
export type FilterDefinition = z.output<typeof filterSchema>;

/** Validates a filter body (M_BAD_JSON / M_NOT_JSON on failure); the caller stores the original body. */
export function validateFilter(body: unknown): FilterDefinition {
  return parseRequestBody(filterSchema, body);
}

/** The `filter` query parameter of /sync and /messages: inline JSON or a stored filter id. */
export function parseFilterParam(value: string): { inline: FilterDefinition } | { id: string } {
  if (!value.trimStart().startsWith('{')) return { id: value };
  return { inline: validateFilter(parseJsonText(value, () => badJson('filter is not valid JSON'))) };
}

/** The inline `filter` parameter of /messages and /context is a RoomEventFilter. */
export function parseRoomEventFilterParam(value: string | undefined): RoomEventFilterDefinition {
  if (value === undefined || value === '') return {};
  return parseRequestBody(roomEventFilterSchema, parseJsonText(value, () => badJson('filter is not valid JSON')));
}

/** `*` matches any run of characters in types (spec: "A '*' can be used as a wildcard"). */
export function matchesPattern(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  // Not a regular expression: `*a*a*a*a*b` would backtrack for minutes (lib/matrix/glob.ts).
  return globMatchesAll(pattern, value);
}

interface FilterableEvent {
  type: string;
  sender?: string;
  room_id?: string;
  content?: Record<string, unknown>;
}

/** Whether an event passes an EventFilter/RoomEventFilter (limit is applied by the caller). */
export function matchesEventFilter(filter: RoomEventFilterDefinition | undefined, event: FilterableEvent): boolean {
  if (!filter) return true;
  if (filter.not_types?.some((p) => matchesPattern(p, event.type))) return false;
  if (filter.types && !filter.types.some((p) => matchesPattern(p, event.type))) return false;
  if (event.sender !== undefined) {
    if (filter.not_senders?.includes(event.sender)) return false;
    if (filter.senders && !filter.senders.includes(event.sender)) return false;
  }
  if (event.room_id !== undefined) {
    if (filter.not_rooms?.includes(event.room_id)) return false;
    if (filter.rooms && !filter.rooms.includes(event.room_id)) return false;
  }
  if (filter.contains_url !== undefined) {
    const hasUrl = typeof event.content?.url === 'string';
    if (hasUrl !== filter.contains_url) return false;
  }
  return true;
}

/** Whether a room is included by the room filter's rooms / not_rooms. */
export function includesRoom(filter: FilterDefinition | undefined, roomId: string): boolean {
  const room = filter?.room;
  if (!room) return true;
  if (room.not_rooms?.includes(roomId)) return false;
  return room.rooms ? room.rooms.includes(roomId) : true;
}

export const DEFAULT_TIMELINE_LIMIT = 10;

/**
 * The most timeline events a sync returns per room, whatever the filter asks: Synapse's
 * `filter_timeline_limit` default. A filter may say any limit; without a cap, one sync could read
 * every room's whole history.
 */
export const MAX_TIMELINE_LIMIT = 100;

/** The timeline limit a filter asks for (Synapse's default of 10 when absent), at most MAX_TIMELINE_LIMIT. */
export function timelineLimit(filter: FilterDefinition | undefined, fallback = DEFAULT_TIMELINE_LIMIT): number {
  return Math.min(filter?.room?.timeline?.limit ?? fallback, MAX_TIMELINE_LIMIT);
}

export function lazyLoadMembers(filter: RoomEventFilterDefinition | undefined): boolean {
  return filter?.lazy_load_members === true;
}

/**
 * Splits a dotted path on unescaped dots (`\.` is a literal dot, `\\` a backslash): the form of
 * filters' `event_fields` and push rules' `key`.
 */
export function fieldPath(field: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c === '\\' && (field[i + 1] === '.' || field[i + 1] === '\\')) {
      current += field[i + 1];
      i++;
    } else if (c === '.') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** Keeps only the listed fields of an event (`event_fields`); absent list keeps everything. */
export function selectEventFields<T extends object>(event: T, fields: readonly string[] | undefined): Partial<T> {
  if (!fields) return event;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const path = fieldPath(field);
    let source: unknown = event;
    for (const key of path) source = typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[key] : undefined;
    if (source === undefined) continue;
    let target = out;
    path.slice(0, -1).forEach((key) => {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    });
    target[path[path.length - 1]!] = source;
  }
  return out as Partial<T>;
}

/**
 * The members whose m.room.member state a lazy-loading client needs with these timeline
 * events: every sender, plus the requesting user (spec "Lazy-loading room members").
 */
export function lazyLoadedMemberIds(timeline: readonly { sender: string }[], userId: string): Set<string> {
  const ids = new Set<string>([userId]);
  for (const event of timeline) ids.add(event.sender);
  return ids;
}
