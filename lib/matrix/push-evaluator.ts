// Push rule evaluation (Client-Server "Push Rules" → conditions): the actions a user's ruleset
// gives an event, from which sync counts `unread_notifications` (notify / highlight).
import type { JsonValue } from './canonical-json.ts';
import type { PushAction, PushCondition, PushRule, PushRuleset } from './push-rules.ts';
import { fieldPath } from './filters.ts';
import { globMatchesAll, globMatchesWord } from './glob.ts';

export interface PushContext {
  userId: string;
  /** The user's display name in the room, for contains_display_name. */
  displayName?: string;
  memberCount: number;
  senderPowerLevel: number;
  /** The room's `notifications` power levels (default `room: 50`). */
  notificationLevels: Record<string, number>;
}

interface PushEvent {
  type: string;
  sender: string;
  room_id?: string;
  state_key?: string;
  content: Record<string, unknown>;
}

function valueAt(event: PushEvent, key: string): unknown {
  let value: unknown = event;
  for (const part of fieldPath(key)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const PUSH_GLOB = { questionMark: true, caseInsensitive: true } as const;

/** A push rule glob (`*`, `?`, case-insensitive) against a whole value (lib/matrix/glob.ts: no backtracking). */
export function globMatches(glob: string, value: string): boolean {
  return globMatchesAll(glob, value, PUSH_GLOB);
}

/** Word-bounded match inside a body (content rules). */
function wordMatches(glob: string, body: string): boolean {
  return globMatchesWord(glob, body, PUSH_GLOB);
}

function memberCountMatches(is: string, count: number): boolean {
  const match = /^(==|<=|>=|<|>)?(\d+)$/.exec(is);
  if (!match) return false;
  const n = Number(match[2]);
  switch (match[1]) {
    case '<': return count < n;
    case '>': return count > n;
    case '<=': return count <= n;
    case '>=': return count >= n;
    default: return count === n;
  }
}

const isScalar = (v: unknown): v is string | number | boolean | null =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isInteger(v));

export function conditionMatches(condition: PushCondition, event: PushEvent, context: PushContext): boolean {
  switch (condition.kind) {
    case 'event_match': {
      const value = valueAt(event, String(condition.key));
      return typeof value === 'string' && typeof condition.pattern === 'string' && globMatches(condition.pattern, value);
    }
    case 'event_property_is': {
      const value = valueAt(event, String(condition.key));
      return isScalar(value) && isScalar(condition.value) && value === condition.value;
    }
    case 'event_property_contains': {
      const value = valueAt(event, String(condition.key));
      return Array.isArray(value) && isScalar(condition.value) && value.some((v) => isScalar(v) && v === condition.value);
    }
    case 'contains_display_name': {
      const body = event.content.body;
      return typeof body === 'string' && !!context.displayName && globMatchesWord(context.displayName, body, { ...PUSH_GLOB, literal: true });
    }
    case 'room_member_count':
      return typeof condition.is === 'string' && memberCountMatches(condition.is, context.memberCount);
    case 'sender_notification_permission': {
      const needed = context.notificationLevels[String(condition.key)] ?? 50;
      return context.senderPowerLevel >= needed;
    }
    default:
      // Unknown condition kinds never match (spec).
      return false;
  }
}


function ruleMatches(kind: keyof PushRuleset, rule: PushRule, event: PushEvent, context: PushContext): boolean {
  switch (kind) {
    case 'content': {
      const body = event.content.body;
      return typeof body === 'string' && rule.pattern !== undefined && wordMatches(rule.pattern, body);
    }
    case 'room':
      return event.room_id === rule.rule_id;
    case 'sender':
      return event.sender === rule.rule_id;
    default:
      return (rule.conditions ?? []).every((c) => conditionMatches(c, event, context));
  }
}

/** The actions of the first enabled matching rule (override, content, room, sender, underride); [] if none. */
export function evaluatePushRules(ruleset: PushRuleset, event: PushEvent, context: PushContext): PushAction[] {
  // A user's own events never notify them.
  if (event.sender === context.userId) return [];
  for (const kind of ['override', 'content', 'room', 'sender', 'underride'] as const) {
    for (const rule of ruleset[kind]) {
      if (rule.enabled && ruleMatches(kind, rule, event, context)) return rule.actions;
    }
  }
  return [];
}

export function notifies(actions: readonly PushAction[]): boolean {
  return actions.includes('notify');
}

export function highlights(actions: readonly PushAction[]): boolean {
  return actions.some(
    (a) => typeof a === 'object' && a.set_tweak === 'highlight' && (a.value === undefined || a.value === (true as JsonValue)),
  );
}
