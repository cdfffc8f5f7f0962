// The current state of a room as auth rules and formatting read it: (type, state key) → event.
import { canonicalJson, type JsonObject } from './canonical-json.ts';

/** The fields of an event that auth rules and state lookups read. */
export interface EventLike {
  type: string;
  sender: string;
  state_key?: string;
  content: JsonObject;
  room_id?: string;
  event_id?: string;
}

export interface RoomState<E extends EventLike = EventLike> {
  get(type: string, stateKey: string): E | undefined;
}

export const stateKeyOf = (type: string, stateKey: string): string => `${type}\u0000${stateKey}`;

/**
 * A state event that repeats the current one, sender and content alike: Synapse answers the
 * current event's id and writes nothing (its deduplicate_state_event).
 */
export function isRepeatedStateEvent(current: { sender: string; content: JsonObject } | undefined, sender: string, next: JsonObject): boolean {
  return current !== undefined && current.sender === sender && canonicalJson(current.content) === canonicalJson(next);
}

/** An in-memory room state built from state events, the latest one of each key winning. */
export class MapRoomState<E extends EventLike = EventLike> implements RoomState<E> {
  private readonly entries = new Map<string, E>();

  constructor(events: Iterable<E> = []) {
    for (const event of events) this.set(event);
  }

  set(event: E): this {
    if (event.state_key !== undefined) this.entries.set(stateKeyOf(event.type, event.state_key), event);
    return this;
  }

  get(type: string, stateKey: string): E | undefined {
    return this.entries.get(stateKeyOf(type, stateKey));
  }

  events(): E[] {
    return [...this.entries.values()];
  }
}

export type Membership = 'invite' | 'join' | 'knock' | 'leave' | 'ban';

export function membershipOf(state: RoomState, userId: string): Membership | undefined {
  const value = state.get('m.room.member', userId)?.content.membership;
  return typeof value === 'string' ? (value as Membership) : undefined;
}

export function joinRuleOf(state: RoomState): string | undefined {
  const value = state.get('m.room.join_rules', '')?.content.join_rule;
  return typeof value === 'string' ? value : undefined;
}

export function historyVisibilityOf(state: RoomState): string {
  const value = state.get('m.room.history_visibility', '')?.content.history_visibility;
  // The spec: absent or unknown history visibility is treated as `shared`.
  return typeof value === 'string' && ['invited', 'joined', 'shared', 'world_readable'].includes(value) ? value : 'shared';
}
