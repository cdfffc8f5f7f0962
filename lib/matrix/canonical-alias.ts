// m.room.canonical_alias as Synapse checks what a client sets (its event creation handler): each
// alias the event adds — `alias` when it changed, `alt_aliases` entries the previous event did not
// list — must be well formed (400 M_INVALID_PARAM) and must point to this room now (400
// M_BAD_ALIAS, resolved by the caller). Aliases already there are not checked again, so deleting
// an alias does not make every later change of the event fail.
import type { JsonObject } from './canonical-json.ts';
import { invalidParam } from './errors.ts';
import { parseRoomAlias } from './ids.ts';

function wellFormed(alias: unknown, what: string): string {
  if (typeof alias !== 'string') throw invalidParam(`${what} must be of type string.`);
  if (!parseRoomAlias(alias)) throw invalidParam(`${alias} is not a valid room alias`);
  return alias;
}

/** The aliases `next` adds to `previous` (the current event's content), each well formed. */
export function addedCanonicalAliases(previous: JsonObject | undefined, next: JsonObject): string[] {
  const added = new Set<string>();
  // A falsy alias (absent, null, '') names no alias, as in Synapse.
  if (next.alias && next.alias !== previous?.alias) added.add(wellFormed(next.alias, 'The alias'));
  const alt = next.alt_aliases ?? [];
  if (!Array.isArray(alt)) throw invalidParam('The alt_aliases property must be a list.');
  const before = Array.isArray(previous?.alt_aliases) ? previous.alt_aliases : [];
  for (const alias of alt) if (!before.includes(alias)) added.add(wellFormed(alias, 'Each alt_alias'));
  return [...added];
}

/**
 * The content once `alias` is deleted from the directory (Synapse's _update_canonical_alias):
 * without it as `alias` and in `alt_aliases`; undefined when the content does not name it.
 */
export function withoutCanonicalAlias(content: JsonObject, alias: string): JsonObject | undefined {
  const { alias: main, alt_aliases: alt, ...rest } = content;
  const inAlt = Array.isArray(alt) && alt.includes(alias);
  if (main !== alias && !inAlt) return undefined;
  const next: JsonObject = { ...rest };
  if (main !== undefined && main !== alias) next.alias = main;
  if (Array.isArray(alt)) {
    const kept = alt.filter((a) => a !== alias);
    if (kept.length) next.alt_aliases = kept;
  } else if (alt !== undefined) next.alt_aliases = alt;
  return next;
}
