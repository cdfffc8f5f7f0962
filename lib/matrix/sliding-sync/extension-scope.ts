// Which rooms a room-scoped extension (account_data, receipts, typing) covers: the reserved
// `lists` and `rooms` keys of its request (MSC3575, as Synapse's find_relevant_room_ids_for_extension):
//   {"lists": ["*"]} every list's window (the default), {"lists": ["dms"]} some, {"lists": []} none;
//   {"rooms": ["*"]} every room subscription (the default), {"rooms": ["!a:b"]} some, {"rooms": []} none.
// Only rooms of this response count: a name of a list or room that is not in it adds nothing.
// Sticky like the extension itself: a request that leaves a key out keeps the connection's.
// A room an extension covers now that it did not cover in the connection's previous response (it
// came into a named list's window, was subscribed, the scope widened, or the extension was just
// turned on) gets its current receipts, typing and room account data, as a room new to the
// connection does — as Synapse does from the rooms it records per connection as never or
// previously sent.
// Pure: the caller gives the lists' windows and the subscriptions.

export type ScopedExtension = 'account_data' | 'receipts' | 'typing';
export const SCOPED_EXTENSIONS: readonly ScopedExtension[] = ['account_data', 'receipts', 'typing'];

/** List names and subscribed room ids (`*`: all); null: none of that kind (Synapse's None). */
export interface ExtensionScope {
  lists: string[] | null;
  rooms: string[] | null;
}

const WILDCARD = '*';
const WHOLE: ExtensionScope = { lists: [WILDCARD], rooms: [WILDCARD] };

export type ExtensionScopes = Partial<Record<ScopedExtension, ExtensionScope>>;

const isWhole = (s: ExtensionScope) => s.lists?.length === 1 && s.lists[0] === WILDCARD && s.rooms?.length === 1 && s.rooms[0] === WILDCARD;

/** The connection's scopes after a request: its given keys over the previous scope; the default ones left out (state stays small). */
export function stickyScopes(previous: ExtensionScopes | undefined, requested: Partial<Record<ScopedExtension, Partial<ExtensionScope>>>): ExtensionScopes {
  const out: ExtensionScopes = {};
  for (const ext of SCOPED_EXTENSIONS) {
    const scope = { ...(previous?.[ext] ?? WHOLE), ...requested[ext] };
    if (!isWhole(scope)) out[ext] = scope;
  }
  return out;
}

/** The rooms of this response each room-scoped extension covers. */
export function roomsByExtension(scopes: ExtensionScopes, listWindows: ReadonlyMap<string, readonly string[]>, subscribed: ReadonlySet<string>): Record<ScopedExtension, Set<string>> {
  return {
    account_data: scopedRooms(scopes.account_data, listWindows, subscribed),
    receipts: scopedRooms(scopes.receipts, listWindows, subscribed),
    typing: scopedRooms(scopes.typing, listWindows, subscribed),
  };
}

/** The rooms of this response an extension covers. */
export function scopedRooms(scope: ExtensionScope | undefined, listWindows: ReadonlyMap<string, readonly string[]>, subscribed: ReadonlySet<string>): Set<string> {
  const { lists, rooms } = scope ?? WHOLE;
  const out = new Set<string>();
  for (const roomId of rooms ?? []) {
    if (roomId === WILDCARD) {
      for (const id of subscribed) out.add(id);
      break;
    }
    if (subscribed.has(roomId)) out.add(roomId);
  }
  for (const name of lists ?? []) {
    if (name === WILDCARD) {
      for (const window of listWindows.values()) for (const id of window) out.add(id);
      break;
    }
    for (const id of listWindows.get(name) ?? []) out.add(id);
  }
  return out;
}

/**
 * The rooms each room-scoped extension covered in the connection's previous response: those it
 * recorded (a scope other than the default), else every room the connection had (the default
 * covers them all); none when the extension was off.
 */
export function previouslyCovered(
  previous: { ext: readonly string[]; rooms: Record<string, unknown>; covered?: Partial<Record<ScopedExtension, string[]>> },
): Record<ScopedExtension, ReadonlySet<string>> {
  const out = {} as Record<ScopedExtension, ReadonlySet<string>>;
  for (const ext of SCOPED_EXTENSIONS) {
    out[ext] = !previous.ext.includes(ext) ? new Set() : new Set(previous.covered?.[ext] ?? Object.keys(previous.rooms));
  }
  return out;
}

/** What the connection keeps of this response's coverage: the rooms of each enabled extension with a scope other than the default. */
export function coveredToKeep(
  scopes: ExtensionScopes,
  enabled: readonly string[],
  covered: Readonly<Record<ScopedExtension, ReadonlySet<string>>>,
  joined: readonly string[],
): Partial<Record<ScopedExtension, string[]>> {
  const out: Partial<Record<ScopedExtension, string[]>> = {};
  for (const ext of SCOPED_EXTENSIONS) {
    if (scopes[ext] && enabled.includes(ext)) out[ext] = joined.filter((roomId) => covered[ext].has(roomId)).sort();
  }
  return out;
}
