// The checks an event a client composes must pass before the auth rules see it, for the event
// types that have their own endpoint or special handling. They are Synapse's (EventValidator and
// the event creation handler): without them PUT /send and PUT /state would be a way around
// /redact, /upgrade and the membership endpoints. Pure: the callers give the room and server.
import type { JsonObject } from './canonical-json.ts';
import { badJson, forbidden, invalidParam } from './errors.ts';
import { isValidEventId } from './ids.ts';
import { powerLevelsContentProblem } from './power-levels.ts';
import { globMatches } from './push-evaluator.ts';

export interface ClientEvent {
  roomId: string;
  type: string;
  /** Present for PUT /state (and createRoom's initial_state), absent for PUT /send. */
  stateKey?: string;
  content: JsonObject;
}

/** The event id an m.room.redaction sent through /send names (in `content.redacts`, every room version). */
export function redactsOf(content: JsonObject): string {
  const redacts = content.redacts;
  if (typeof redacts !== 'string' || !isValidEventId(redacts)) throw badJson('m.room.redaction needs `redacts`: the id of the event to redact');
  return redacts;
}

/**
 * Throws the MatrixError Synapse answers for a malformed event of a type with special rules;
 * returns for every other event. m.room.member through /state is not checked here: it goes
 * through the membership endpoints' rules (rooms/operations.ts).
 */
export function checkClientEvent(event: ClientEvent, server: string): void {
  const { type, stateKey, content } = event;
  const isState = stateKey !== undefined;
  switch (type) {
    case 'm.room.redaction':
      // A redaction is a message event; as state it would be a redaction no endpoint authorised.
      if (isState) throw badJson('m.room.redaction cannot be sent as state');
      redactsOf(content);
      return;
    case 'm.room.member':
      if (!isState) throw forbidden('m.room.member can only be sent as state');
      return;
    case 'm.room.create':
      // Synapse: 403 for a create event sent as a message (auth), 400 for a second one as state.
      if (!isState) throw forbidden('m.room.create can only be sent as state');
      throw invalidParam('Cannot resend m.room.create event');
    case 'm.room.tombstone': {
      if (!isState) throw badJson('m.room.tombstone must be a state event');
      const replacement = content.replacement_room;
      if (typeof replacement !== 'string') throw badJson('m.room.tombstone needs a replacement_room');
      if (replacement === event.roomId) throw badJson('Tombstone cannot reference the room it was sent in');
      return;
    }
    case 'm.room.power_levels': {
      const problem = powerLevelsContentProblem(content);
      if (problem) throw badJson(problem);
      return;
    }
    case 'm.room.server_acl':
      if (!serverMatchesAcl(content, server)) throw badJson("Can't create an ACL event that denies the local server");
      return;
    default:
      return;
  }
}

const isStringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/**
 * Whether a server ACL's content lets `server` in (spec m.room.server_acl, as Synapse evaluates
 * it: malformed lists count as empty, the port is not part of the match).
 */
export function serverMatchesAcl(content: JsonObject, server: string): boolean {
  const host = server.replace(/:\d+$/, '');
  const allowIpLiterals = typeof content.allow_ip_literals === 'boolean' ? content.allow_ip_literals : true;
  if (!allowIpLiterals && (host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host))) return false;
  if (isStringList(content.deny).some((glob) => globMatches(glob, host))) return false;
  return isStringList(content.allow).some((glob) => globMatches(glob, host));
}
