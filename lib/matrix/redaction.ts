// The redaction algorithm (spec "Redactions" in the room version specs, as Synapse's redact()):
// every key not listed is removed, at the top level and in content. What is kept depends on the
// version's flags (room-versions.ts).
import type { JsonObject, JsonValue } from './canonical-json.ts';
import { roomVersionRules, type RoomVersion } from './room-versions.ts';

const topLevelKeysV1 = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures',
  'depth', 'prev_events', 'prev_state', 'auth_events', 'origin', 'origin_server_ts', 'membership',
];
// v11 (MSC2176/MSC3821/MSC3989): `origin`, `membership` and `prev_state` are no longer kept.
const topLevelKeysV11 = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures',
  'depth', 'prev_events', 'auth_events', 'origin_server_ts',
];

function pick(source: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of keys) if (Object.hasOwn(source, key)) out[key] = source[key]!;
  return out;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The content an event keeps after redaction. */
export function redactContent(type: string, content: JsonObject, version: RoomVersion): JsonObject {
  const rules = roomVersionRules(version);
  const v11 = rules.updatedRedactionRules;
  switch (type) {
    case 'm.room.member': {
      // v9+ keeps the authorising user of a restricted join (MSC3375).
      const kept = pick(content, rules.restrictedJoinRuleFix ? ['membership', 'join_authorised_via_users_server'] : ['membership']);
      if (v11) {
        // v11 keeps the `signed` part of a third-party invite, so the join stays verifiable.
        const invite = content.third_party_invite;
        if (isObject(invite) && Object.hasOwn(invite, 'signed')) kept.third_party_invite = { signed: invite.signed! };
      }
      return kept;
    }
    case 'm.room.create':
      return v11 ? { ...content } : pick(content, ['creator']);
    case 'm.room.join_rules':
      // v8+ keeps the restricted rule's `allow` list.
      return pick(content, rules.restrictedJoinRule ? ['join_rule', 'allow'] : ['join_rule']);
    case 'm.room.aliases':
      return rules.specialCaseAliasesAuth ? pick(content, ['aliases']) : {};
    case 'm.room.power_levels':
      return pick(content, [
        'ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default',
        ...(v11 ? ['invite'] : []),
      ]);
    case 'm.room.history_visibility':
      return pick(content, ['history_visibility']);
    case 'm.room.redaction':
      return v11 ? pick(content, ['redacts']) : {};
    default:
      return {};
  }
}

/** The redacted form of an event (federation/PDU shape); `unsigned` is not kept. */
export function redactEvent<T extends object>(event: T, version: RoomVersion): JsonObject {
  const source = event as unknown as JsonObject;
  const kept = pick(source, roomVersionRules(version).updatedRedactionRules ? topLevelKeysV11 : topLevelKeysV1);
  const type = typeof source.type === 'string' ? source.type : '';
  kept.content = redactContent(type, isObject(source.content) ? source.content : {}, version);
  return kept;
}
