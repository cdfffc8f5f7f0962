// Identifiers in request paths. The spec caps Matrix identifiers at 255 bytes (user, room and event
// ids, room aliases, and the opaque ids: device, transaction, media ids...) and an event's type and
// state key the same. A longer value names nothing Axon can hold, and as part of an item key it
// would pass DynamoDB's key limits: it is refused before anything is read.
import { badJson, invalidParam } from './errors.ts';
import { MAX_EVENT_FIELD_BYTES } from './events.ts';

export const MAX_IDENTIFIER_BYTES = MAX_EVENT_FIELD_BYTES;

/** Not identifiers (a download's file name) or split into identifiers by their operation. */
const NOT_IDENTIFIERS = new Set(['fileName', 'statePath']);

/** An event's fields: over the limit, the event is malformed (M_BAD_JSON, as for its content). */
const EVENT_FIELDS = new Set(['eventType', 'stateKey']);

/** Throws the spec's error when the identifier `name` holds is over MAX_IDENTIFIER_BYTES. */
export function checkIdentifierLength(name: string, value: string): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes <= MAX_IDENTIFIER_BYTES) return;
  if (EVENT_FIELDS.has(name)) throw badJson(`${name} is ${bytes} bytes, over the ${MAX_IDENTIFIER_BYTES} an event allows`);
  throw invalidParam(`${name} is ${bytes} bytes, longer than the ${MAX_IDENTIFIER_BYTES} any Matrix identifier may be`);
}

/** Every path parameter that is an identifier, checked before the operation runs. */
export function checkPathParameters(parameters: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(parameters)) {
    if (!NOT_IDENTIFIERS.has(name)) checkIdentifierLength(name, value);
  }
}

/**
 * A state event's address from `{eventType}/{stateKey}` or the greedy `{statePath+}` (`type`,
 * `type/` or `type/key/with/slashes`, since a %2F is a separator once the path is decoded), checked.
 */
export function stateAddress(params: Readonly<Record<string, string>>): { eventType: string; stateKey: string } {
  const { statePath } = params;
  let eventType = params.eventType!;
  let stateKey = params.stateKey ?? '';
  if (statePath !== undefined) {
    const slash = statePath.indexOf('/');
    eventType = slash < 0 ? statePath : statePath.slice(0, slash);
    stateKey = slash < 0 ? '' : statePath.slice(slash + 1);
  }
  checkIdentifierLength('eventType', eventType);
  checkIdentifierLength('stateKey', stateKey);
  return { eventType, stateKey };
}
